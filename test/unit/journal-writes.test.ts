// The queue of journal writes that found another process's lock: FIFO, one
// probe at a time, bounded only when asked, other errors at once, and hosts
// told when the journal is busy and when it is free again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBusyError, JournalBusyError, JournalWrites, type BusyState } from '../../service/journal-writes.ts';

const busy = (): Error => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

/** A lock that refuses every write until `free()` is called. */
function fakeLock() {
  let locked = true;
  let attempts = 0;
  return {
    free: () => (locked = false),
    get attempts() {
      return attempts;
    },
    write<T>(value: T): () => T {
      return () => {
        attempts++;
        if (locked) throw busy();
        return value;
      };
    },
  };
}

test('writes that meet the lock wait, keep their order, and are told about', async () => {
  const states: BusyState[] = [];
  const writes = new JournalWrites({ path: () => '/j.sqlite', onBusy: (s) => states.push(s), noticeAfterMs: 20 });
  const lock = fakeLock();
  const order: string[] = [];
  const a = writes.run(() => (lock.write('a')(), order.push('a')));
  const b = writes.run(() => (lock.write('b')(), order.push('b')));
  assert.equal(writes.pendingWrites, 2);
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(order, [], 'nothing went through while locked');
  const probesWhileLocked = lock.attempts;
  lock.free();
  await Promise.all([a, b]);
  assert.deepEqual(order, ['a', 'b'], 'first in, first written');
  assert.ok(probesWhileLocked >= 2 && probesWhileLocked < 40, `probed with backoff, one write at a time: ${probesWhileLocked}`);
  assert.equal(states[0]?.busy, true);
  assert.equal(states[0]?.pendingWrites, 2);
  assert.equal(states.at(-1)?.busy, false);
  assert.equal(states.at(-1)?.released, true);
  assert.equal(writes.pendingWrites, 0);
});

test('a bounded write gives up with JournalBusyError; other errors reject at once, unretried', async () => {
  const states: BusyState[] = [];
  const writes = new JournalWrites({ path: () => '/j.sqlite', onBusy: (s) => states.push(s), noticeAfterMs: 10 });
  await assert.rejects(writes.run(() => { throw busy(); }, { boundMs: 50 }), (e: unknown) => e instanceof JournalBusyError && /journal busy: another process.* is writing \/j\.sqlite/.test(e.message));
  assert.deepEqual(states.map((s) => [s.busy, s.released]), [[true, false], [false, false]], 'over, but not released: the write gave up');
  let tries = 0;
  await assert.rejects(writes.run(() => { tries++; throw new Error('constraint failed'); }), /constraint failed/);
  assert.equal(tries, 1);
  assert.equal(isBusyError(busy()), true);
  assert.equal(isBusyError(Object.assign(new Error('x'), { code: 'SQLITE_BUSY_SNAPSHOT' })), true);
  assert.equal(isBusyError(new Error('x')), false);
});

test('tryFirst lets a read through while writes wait', async () => {
  const writes = new JournalWrites({ path: () => '/j.sqlite' });
  const lock = fakeLock();
  const waiting = writes.run(lock.write('w'));
  assert.equal(await writes.run(() => 'read', { tryFirst: true }), 'read');
  lock.free();
  assert.equal(await waiting, 'w');
});
