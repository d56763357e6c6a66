// The lab's commands: one list behind the in-window keys, the shortcut list
// and the desktop shell's menu. Plain data, no DOM and no Svelte: the shell's
// main process builds its menu from it, sends a command's id to the page, and
// the page runs the same command as its own key or button would.

export type CommandId =
  | 'new-run'
  | 'import-results'
  | 'export-runs'
  | 'backup-journal'
  | 'merge-journal'
  | 'go-journal'
  | 'go-benchmarks'
  | 'go-profiles'
  | 'search-journal'
  | 'compare-selection'
  | 'clear-selection'
  | 'row-down'
  | 'row-up'
  | 'row-open'
  | 'row-tick'
  | 'toggle-theme'
  | 'keyboard-shortcuts'
  | 'about';

/** Where a command sits in the desktop menu bar. */
export type MenuName = 'File' | 'View' | 'Go' | 'Help';

export interface LabCommand {
  id: CommandId;
  /** Menu label and shortcut-list wording. */
  label: string;
  /** Keys pressed in the window, in order ("g" then "r" is a chord); none when only the menu or a button offers it. */
  keys?: readonly string[];
  /** Electron accelerator of the menu item (modifier combinations only: single letters would fire while typing). */
  accelerator?: string;
  /** The desktop menu the command appears in; absent for commands that only make sense in the page (row cursor). */
  menu?: MenuName;
  /**
   * Who runs it in the desktop app. 'page': the menu sends the id and the page runs it.
   * 'shell': the shell runs it itself, because it needs a native dialog that names files
   * (the page may not name files); in a browser the page offers its own way where there is one.
   */
  runBy: 'page' | 'shell';
}

export const COMMANDS: readonly LabCommand[] = [
  { id: 'new-run', label: 'New run', keys: ['n'], accelerator: 'CmdOrCtrl+N', menu: 'File', runBy: 'page' },
  { id: 'import-results', label: 'Import results…', accelerator: 'CmdOrCtrl+O', menu: 'File', runBy: 'shell' },
  { id: 'export-runs', label: 'Export runs…', accelerator: 'CmdOrCtrl+E', menu: 'File', runBy: 'shell' },
  { id: 'backup-journal', label: 'Back up the journal…', menu: 'File', runBy: 'shell' },
  { id: 'merge-journal', label: 'Merge a journal…', menu: 'File', runBy: 'shell' },
  { id: 'go-journal', label: 'Journal', keys: ['g', 'r'], accelerator: 'CmdOrCtrl+1', menu: 'Go', runBy: 'page' },
  { id: 'go-benchmarks', label: 'Benchmarks', keys: ['g', 'b'], accelerator: 'CmdOrCtrl+2', menu: 'Go', runBy: 'page' },
  { id: 'go-profiles', label: 'Cost profiles', keys: ['g', 'p'], accelerator: 'CmdOrCtrl+3', menu: 'Go', runBy: 'page' },
  { id: 'search-journal', label: 'Search the journal', keys: ['/'], accelerator: 'CmdOrCtrl+F', menu: 'Go', runBy: 'page' },
  { id: 'compare-selection', label: 'Compare the selected runs', keys: ['c'], accelerator: 'CmdOrCtrl+Shift+C', menu: 'Go', runBy: 'page' },
  { id: 'clear-selection', label: 'Clear the selection', keys: ['Esc'], menu: 'Go', runBy: 'page' },
  { id: 'row-down', label: 'Next run in the journal', keys: ['j'], runBy: 'page' },
  { id: 'row-up', label: 'Previous run in the journal', keys: ['k'], runBy: 'page' },
  { id: 'row-open', label: 'Open the run under the cursor', keys: ['Enter'], runBy: 'page' },
  { id: 'row-tick', label: 'Tick or untick the run under the cursor', keys: ['x'], runBy: 'page' },
  { id: 'toggle-theme', label: 'Toggle dark theme', accelerator: 'CmdOrCtrl+Shift+D', menu: 'View', runBy: 'page' },
  { id: 'keyboard-shortcuts', label: 'Keyboard shortcuts', keys: ['?'], accelerator: 'CmdOrCtrl+/', menu: 'Help', runBy: 'page' },
  { id: 'about', label: 'About IOMMU Lab', menu: 'Help', runBy: 'shell' },
];

export const commandById = (id: CommandId): LabCommand => {
  const c = COMMANDS.find((x) => x.id === id);
  if (!c) throw new Error(`no command ${id}`);
  return c;
};

export const isCommandId = (id: unknown): id is CommandId => typeof id === 'string' && COMMANDS.some((c) => c.id === id);

/** Commands the page runs itself (from a key, a button or the desktop menu). */
export type PageCommandId = Exclude<CommandId, 'import-results' | 'export-runs' | 'backup-journal' | 'merge-journal' | 'about'>;

/** The command a key press (with the chord's first key, if one is pending) stands for. */
export function commandForKeys(pressed: readonly string[]): { id: CommandId } | { chord: true } | null {
  const name = (k: string): string => (k === 'Escape' ? 'Esc' : k);
  const keys = pressed.map(name);
  for (const c of COMMANDS) {
    if (!c.keys || c.keys.length !== keys.length) continue;
    if (c.keys.every((k, i) => k === keys[i])) return { id: c.id };
  }
  if (COMMANDS.some((c) => c.keys && c.keys.length > keys.length && keys.every((k, i) => c.keys?.[i] === k))) return { chord: true };
  return null;
}

/** An accelerator as the platform writes it: "Ctrl+Shift+C" on Linux and Windows, "⌘⇧C" on macOS. */
export function acceleratorText(accelerator: string, platform: string): string {
  const parts = accelerator.split('+');
  if (platform !== 'darwin') return parts.map((p) => (p === 'CmdOrCtrl' ? 'Ctrl' : p)).join('+');
  const MAC: Record<string, string> = { CmdOrCtrl: '⌘', Shift: '⇧', Alt: '⌥' };
  return parts.map((p) => MAC[p] ?? p).join('');
}

/** True when key presses go to a field the user types into (shortcuts must not fire); checkboxes and buttons take no text. */
export function typingInto(el: { tagName: string; type?: string; isContentEditable?: boolean } | null): boolean {
  if (!el) return false;
  if (el.tagName === 'INPUT' && ['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(el.type ?? '')) return false;
  return el.isContentEditable === true || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}
