// The desktop menu and the in-window UI offer the same commands: the menu is
// built from the page's command list (Electron cannot run here, so the
// template is built under Node and main.ts is checked for using it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { MenuItemConstructorOptions } from 'electron';
import { COMMANDS, commandForKeys, type CommandId } from '../../renderer/src/lib/commands.ts';
import { menuTemplate, type ShellCommandId } from '../../electron/menu.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function build(isMac = false, isPackaged = true) {
  const sent: CommandId[] = [];
  const ran: ShellCommandId[] = [];
  const shell = Object.fromEntries(
    (['import-results', 'export-runs', 'backup-journal', 'merge-journal', 'about'] as const).map((id) => [id, (): void => void ran.push(id)]),
  ) as unknown as Record<ShellCommandId, () => void>;
  const template = menuTemplate({ send: (id) => sent.push(id), shell }, { isMac, isPackaged });
  return { template, sent, ran };
}

/** Every item with its top-level menu's label (or role), depth first. */
function flatten(template: MenuItemConstructorOptions[]): { menu: string; item: MenuItemConstructorOptions }[] {
  const out: { menu: string; item: MenuItemConstructorOptions }[] = [];
  for (const top of template) {
    const name = top.label ?? String(top.role);
    for (const item of Array.isArray(top.submenu) ? top.submenu : []) out.push({ menu: name, item });
  }
  return out;
}

test('every menu item that is not a built-in role is a command of the list, with its label and accelerator', () => {
  for (const platform of [false, true]) {
    const items = flatten(build(platform, false).template).filter(({ item }) => item.type !== 'separator' && item.role === undefined);
    assert.ok(items.length >= 10, `menu items: ${items.length}`);
    for (const { menu, item } of items) {
      const command = COMMANDS.find((c) => c.id === item.id);
      assert.ok(command, `menu item ${item.label} (${menu}) maps to a command`);
      assert.equal(item.label, command.label);
      assert.equal(item.accelerator, command.accelerator);
      assert.equal(menu.toLowerCase(), command.menu?.toLowerCase(), `${command.id} sits in its menu`);
    }
  }
});

test('every command with an accelerator or a menu is in the menu, once', () => {
  const ids = flatten(build().template).map(({ item }) => item.id).filter((id) => id !== undefined);
  for (const c of COMMANDS.filter((x) => x.accelerator !== undefined || x.menu !== undefined)) {
    assert.equal(ids.filter((id) => id === c.id).length, 1, `${c.id} appears once in the menu`);
  }
  const accelerators = COMMANDS.flatMap((c) => (c.accelerator ? [c.accelerator] : []));
  assert.equal(new Set(accelerators).size, accelerators.length, 'no accelerator serves two commands');
  // A single letter as an accelerator would fire while the user types into a field.
  for (const a of accelerators) assert.match(a, /^(CmdOrCtrl|Alt|Shift)\+/, `${a} needs a modifier`);
});

test('a page command is sent to the page by id; a shell command runs in the shell', () => {
  const { template, sent, ran } = build();
  for (const { item } of flatten(template)) {
    if (typeof item.click === 'function') (item.click as () => void)();
  }
  const byMenu = COMMANDS.filter((c) => c.menu !== undefined);
  assert.deepEqual(sent.sort(), byMenu.filter((c) => c.runBy === 'page').map((c) => c.id).sort());
  assert.deepEqual(ran.sort(), byMenu.filter((c) => c.runBy === 'shell').map((c) => c.id).sort());
  // Help has the keyboard shortcut list, which the page opens like its "?" key.
  const help = template.find((t) => t.role === 'help');
  assert.ok(Array.isArray(help?.submenu) && help.submenu.some((i) => i.id === 'keyboard-shortcuts' && i.label === 'Keyboard shortcuts'));
  assert.deepEqual(commandForKeys(['?']), { id: 'keyboard-shortcuts' });
});

test('main.ts builds its menu from the shared template, with no item of its own', () => {
  const source = readFileSync(`${root}electron/main.ts`, 'utf8');
  const file = ts.createSourceFile('main.ts', source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  let usesTemplate = false;
  const ownLabels: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'buildFromTemplate') {
      const arg = n.arguments[0];
      usesTemplate ||= arg !== undefined && ts.isIdentifier(arg) && source.includes(`const ${arg.text} = menuTemplate(`);
    }
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && (n.name.text === 'label' || n.name.text === 'accelerator')) ownLabels.push(n.getText());
    n.forEachChild(visit);
  };
  visit(file);
  assert.ok(usesTemplate, 'Menu.buildFromTemplate(menuTemplate(...)) in main.ts');
  assert.deepEqual(ownLabels, [], 'main.ts writes no menu labels or accelerators itself');
  // Every shell command has its handler in main.ts (typed as a Record, so a missing one does not compile either).
  for (const c of COMMANDS.filter((x) => x.runBy === 'shell')) assert.match(source, new RegExp(`'?${c.id}'?: run\\(`), `main.ts runs ${c.id}`);
});

test('the page handles every page command (App.svelte maps each id to what it does)', () => {
  const app = readFileSync(`${root}renderer/src/App.svelte`, 'utf8');
  const handlers = app.slice(app.indexOf('const PAGE_COMMANDS'), app.indexOf('function runCommand'));
  for (const c of COMMANDS.filter((x) => x.runBy === 'page')) assert.ok(handlers.includes(`'${c.id}':`), `App.svelte handles ${c.id}`);
  assert.match(app, /command\.kind === 'command' && isCommandId\(command\.id\)\) runCommand\(command\.id\)/, 'menu commands from the shell run as the page\'s own');
});
