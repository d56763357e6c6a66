// The batch progress bar of `simulate` and `sweep` counts runs: 16 runs show
// ".../16 runs", never the bar's internal total of hundredths (1600).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { showBatchProgress } from '../../cli/progress.ts';

/** A terminal that keeps what was drawn, with escape sequences removed. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text: () => string } {
  let drawn = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      drawn += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: 200 });
  // eslint-disable-next-line no-control-regex
  return { stream, text: () => drawn.replace(/\u001b(\[[0-9;?]*[A-Za-z]|[78])/g, '') };
}

/** The client's event side: what the bar listens to, driven by the test. */
function fakeEvents() {
  const listeners = new Map<string, ((e: unknown) => void)[]>();
  return {
    on(event: string, fn: (e: never) => void) {
      const list = listeners.get(event) ?? [];
      list.push(fn as (e: unknown) => void);
      listeners.set(event, list);
      return () => listeners.set(event, (listeners.get(event) ?? []).filter((l) => l !== fn));
    },
    emit(event: string, e: unknown) {
      for (const l of listeners.get(event) ?? []) l(e);
    },
  };
}

test('a 16-run sweep with 7 runs ended shows 7/16 runs, its failures, and the share of the work done', () => {
  const term = fakeTerminal();
  const events = fakeEvents();
  const ids = Array.from({ length: 16 }, (_, i) => `run-${i}`);
  const bar = showBatchProgress(events as never, ids, 'sweep', term.stream);
  for (let i = 0; i < 5; i++) events.emit('run.status', { runId: ids[i], status: 'done' });
  events.emit('run.status', { runId: ids[5], status: 'failed' });
  events.emit('run.status', { runId: ids[6], status: 'cancelled' });
  events.emit('run.progress', { runId: ids[7], fraction: 0.5 });
  events.emit('run.status', { runId: 'another-batch', status: 'done' });
  bar.stop();
  // Each redraw starts with the label (the cursor moves back to the start of the line in between).
  const last = `sweep ${term.text().split('sweep ').at(-1) ?? ''}`;
  assert.match(last, /\| 7\/16 runs \| 1 failed \|/, term.text());
  // 7.5 runs' work of 16: 46.9%, shown rounded down.
  assert.match(last, /\] 46% \|/, last);
  assert.doesNotMatch(term.text(), /\/1600\b/);
});

test('without a terminal the bar draws nothing (pipes and --json stay clean)', () => {
  const term = fakeTerminal();
  Object.assign(term.stream, { isTTY: false });
  const bar = showBatchProgress(fakeEvents() as never, ['a', 'b'], 'simulate', term.stream);
  bar.stop();
  assert.equal(term.text(), '');
});
