// State shared across views: the theme, the journal's run selection, the
// shortcut overlay and requests a keyboard shortcut makes of a view.
import { SvelteSet } from 'svelte/reactivity';
import type { PageCommandId } from './commands.ts';

export type ThemeChoice = 'system' | 'light' | 'dark';
const THEME_KEY = 'iommu-lab.theme';

function storedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

function systemDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

class Ui {
  theme = $state<ThemeChoice>(storedTheme());
  /** The theme in effect (what charts read their colors for). */
  dark = $state(false);
  selection = new SvelteSet<string>();
  showShortcuts = $state(false);
  /** Bumped by "/" so the journal focuses its search box. */
  focusSearch = $state(0);

  /** Commands a view on screen runs itself (the journal's row cursor); the latest registration wins. */
  #viewCommands = new Map<PageCommandId, () => void>();

  /** A view takes a command while it is on screen; returns the function that gives it back. */
  handle(id: PageCommandId, run: () => void): () => void {
    this.#viewCommands.set(id, run);
    return () => {
      if (this.#viewCommands.get(id) === run) this.#viewCommands.delete(id);
    };
  }

  /** Runs the command if a view on screen handles it; false when none does. */
  runViewCommand(id: PageCommandId): boolean {
    const run = this.#viewCommands.get(id);
    run?.();
    return run !== undefined;
  }

  constructor() {
    if (typeof document === 'undefined') return;
    this.#apply();
    if (typeof matchMedia === 'function') matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.#apply());
  }

  setTheme(choice: ThemeChoice): void {
    this.theme = choice;
    try {
      if (choice === 'system') localStorage.removeItem(THEME_KEY);
      else localStorage.setItem(THEME_KEY, choice);
    } catch {
      // Storage can be unavailable (private windows); the choice then lasts for this page.
    }
    this.#apply();
  }

  #apply(): void {
    this.dark = this.theme === 'dark' || (this.theme === 'system' && systemDark());
    document.documentElement.dataset.theme = this.dark ? 'dark' : 'light';
  }
}

export const ui = new Ui();

/** A CSS variable's value on the root (charts draw on canvas and need the colors themselves). */
export function cssVar(name: string, fallback = '#888'): string {
  if (typeof document === 'undefined') return fallback;
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}
