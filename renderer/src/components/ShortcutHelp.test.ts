// The shortcut list comes from the command list: the keys everywhere, and in
// the desktop app (a shell bridge present) the menu's accelerators too.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/svelte';
import ShortcutHelp from './ShortcutHelp.svelte';

const win = window as { iommuLab?: unknown };

describe('ShortcutHelp', () => {
  afterEach(() => {
    cleanup();
    delete win.iommuLab;
  });

  it('lists the keys in a browser, and no menu shortcuts', () => {
    render(ShortcutHelp, { onClose: () => {} });
    expect(screen.getByText('Next run in the journal')).toBeTruthy();
    expect(screen.getByText('Go to benchmarks')).toBeTruthy();
    expect(screen.queryByText('Menu shortcuts')).toBeNull();
  });

  it('adds the desktop menu accelerators in the platform\'s words', () => {
    win.iommuLab = { platform: 'linux', onMenu: () => () => {} };
    render(ShortcutHelp, { onClose: () => {} });
    expect(screen.getByText('Menu shortcuts')).toBeTruthy();
    expect(screen.getByText('Ctrl+Shift+C')).toBeTruthy();
    expect(screen.getByText('Ctrl+/')).toBeTruthy();
  });
});
