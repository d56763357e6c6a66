// The command list's key rules: chords, single keys, and which fields swallow keys.
import { describe, expect, it } from 'vitest';
import { acceleratorText, COMMANDS, commandForKeys, typingInto } from './commands.ts';

describe('commands', () => {
  it('maps single keys and two-key chords to their command, and a chord start to a wait', () => {
    expect(commandForKeys(['j'])).toEqual({ id: 'row-down' });
    expect(commandForKeys(['k'])).toEqual({ id: 'row-up' });
    expect(commandForKeys(['Enter'])).toEqual({ id: 'row-open' });
    expect(commandForKeys(['Escape'])).toEqual({ id: 'clear-selection' });
    expect(commandForKeys(['g'])).toEqual({ chord: true });
    expect(commandForKeys(['g', 'b'])).toEqual({ id: 'go-benchmarks' });
    expect(commandForKeys(['g', 'x'])).toBeNull();
    expect(commandForKeys(['z'])).toBeNull();
  });

  it('gives every key sequence and every id to one command only', () => {
    const keys = COMMANDS.filter((c) => c.keys).map((c) => c.keys?.join(' '));
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(COMMANDS.map((c) => c.id)).size).toBe(COMMANDS.length);
  });

  it('treats text fields as typing, and checkboxes and buttons as not', () => {
    expect(typingInto({ tagName: 'INPUT', type: 'text' })).toBe(true);
    expect(typingInto({ tagName: 'INPUT', type: 'search' })).toBe(true);
    expect(typingInto({ tagName: 'INPUT', type: 'number' })).toBe(true);
    expect(typingInto({ tagName: 'TEXTAREA' })).toBe(true);
    expect(typingInto({ tagName: 'SELECT' })).toBe(true);
    expect(typingInto({ tagName: 'DIV', isContentEditable: true })).toBe(true);
    expect(typingInto({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    expect(typingInto({ tagName: 'BUTTON' })).toBe(false);
    expect(typingInto(null)).toBe(false);
  });

  it('writes accelerators the way each platform does', () => {
    expect(acceleratorText('CmdOrCtrl+Shift+C', 'linux')).toBe('Ctrl+Shift+C');
    expect(acceleratorText('CmdOrCtrl+Shift+C', 'darwin')).toBe('⌘⇧C');
    expect(acceleratorText('CmdOrCtrl+/', 'win32')).toBe('Ctrl+/');
  });
});
