// Types of ui-staleness.mjs for the TypeScript that imports it (its test).
export declare const UI_SOURCES: string[];
export declare const UI_BUILT_INDEX: string;
export declare function uiBuildReason(root: string, opts?: { sources?: string[]; builtIndex?: string }): string | null;
