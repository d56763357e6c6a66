// The application menu, built from the lab's one command list
// (renderer/src/lib/commands.ts) that the page's keys and shortcut list use
// too. A page command's item sends its id to the page, which runs it as its
// own key would; a shell command's item runs here (it needs a native dialog).
// Type-only use of electron: the invariants test builds this template under Node.
import type { MenuItemConstructorOptions } from 'electron';
import { COMMANDS, type CommandId, type LabCommand, type MenuName } from '../renderer/src/lib/commands.ts';

/** Commands the shell runs itself. */
export type ShellCommandId = Extract<CommandId, 'import-results' | 'export-runs' | 'backup-journal' | 'merge-journal' | 'about'>;

export interface MenuActions {
  /** Sends a page command's id to the window. */
  send: (id: CommandId) => void;
  /** The shell's own commands. */
  shell: Record<ShellCommandId, () => void>;
}

const isShellCommand = (c: LabCommand): c is LabCommand & { id: ShellCommandId } => c.runBy === 'shell';

function items(menu: MenuName, actions: MenuActions): MenuItemConstructorOptions[] {
  return COMMANDS.filter((c) => c.menu === menu).map((c) => ({
    id: c.id,
    label: c.label,
    ...(c.accelerator ? { accelerator: c.accelerator } : {}),
    click: () => (isShellCommand(c) ? actions.shell[c.id]() : actions.send(c.id)),
  }));
}

export function menuTemplate(actions: MenuActions, platform: { isMac: boolean; isPackaged: boolean }): MenuItemConstructorOptions[] {
  const { isMac, isPackaged } = platform;
  return [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [...items('File', actions), { type: 'separator' }, isMac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        // Reload and devtools are for development builds only.
        ...(isPackaged ? [] : [{ role: 'reload' as const }, { role: 'forceReload' as const }, { role: 'toggleDevTools' as const }, { type: 'separator' as const }]),
        ...items('View', actions),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { label: 'Go', submenu: items('Go', actions) },
    { role: 'windowMenu' },
    { role: 'help', submenu: items('Help', actions) },
  ];
}
