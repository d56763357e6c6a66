// Types of build-cli.mjs for the TypeScript that imports it (the build test).
import type { Metafile } from 'esbuild';

export declare const CLI_OUTDIR: string;
export declare function buildCli(opts?: { outdir?: string }): Promise<{ esm: Metafile; service: Metafile }>;
