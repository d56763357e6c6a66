import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConflictError, JournalInputError, LATEST_SCHEMA_VERSION, openJournal } from '../../db/index.ts';
import type { CostProfile, NewCostProfile } from '../../db/index.ts';
import { cleanupTempDirs, migrateTo, newRun, tableCounts, tempDir, V1, writeV1Journal, withJournal } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

const FIT = {
  method: 'least-squares',
  residualNs: [12.5, -3.25, 0],
  samples: 48,
  perCost: { exitRoundTripNs: { value: 6100, stderr: 42.1 }, rxPacketNs: { value: 930, stderr: null } },
  converged: true,
};

const LAB1: NewCostProfile = {
  name: 'lab1-kvm_6.8+fit',
  description: 'fitted on lab host 1, kernel 6.8',
  costs: { exitRoundTripNs: 6100, rxPacketNs: 930.25, iotlbMissNs: 0 },
  fit: FIT,
  modelVersion: '0.3.0',
};

/** A journal file at schema 3 with the v1 fixture's runs, migrated by the real steps 2 and 3 only. */
function writeV3Journal(path: string): void {
  writeV1Journal(path);
  const db = new Database(path);
  try {
    migrateTo(db, 3);
  } finally {
    db.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('cost profiles', () => {
  test('save, get, list and delete round-trip costs and fit exactly', () => {
    withJournal(join(tempDir(), 'j.sqlite'), (j) => {
      const saved = j.profiles.saveCostProfile(LAB1);
      assert.match(saved.id, /^[0-9a-f-]{36}$/);
      assert.equal(saved.name, LAB1.name);
      assert.equal(saved.description, LAB1.description);
      assert.deepEqual(saved.costs, LAB1.costs);
      assert.deepEqual(saved.fit, FIT);
      assert.equal(saved.modelVersion, '0.3.0');
      assert.equal(saved.createdAt, saved.updatedAt);
      assert.ok(!Number.isNaN(Date.parse(saved.createdAt)));

      const hand = j.profiles.saveCostProfile({ name: 'Hand.typed', costs: { exitRoundTripNs: 5000 }, modelVersion: '0.3.0' });
      assert.equal(hand.description, '');
      assert.equal(hand.fit, null);

      assert.deepEqual(j.profiles.getCostProfile(LAB1.name), saved);
      assert.deepEqual(j.profiles.getCostProfile('Hand.typed'), hand);
      assert.equal(j.profiles.getCostProfile('hand.typed'), undefined, 'names are case-sensitive');
      // Binary order: upper case before lower case.
      assert.deepEqual(j.profiles.listCostProfiles().map((p) => p.name), ['Hand.typed', LAB1.name]);

      assert.equal(j.profiles.deleteCostProfile('Hand.typed'), true);
      assert.equal(j.profiles.deleteCostProfile('Hand.typed'), false);
      assert.equal(j.profiles.getCostProfile('Hand.typed'), undefined);
      assert.deepEqual(j.profiles.listCostProfiles(), [saved]);
    });
  });

  test('replace overwrites costs in place, keeping id and createdAt and bumping updatedAt', async () => {
    const path = join(tempDir(), 'j.sqlite');
    const first = withJournal(path, (j) => j.profiles.saveCostProfile(LAB1));
    await sleep(5); // timestamps have millisecond resolution
    withJournal(path, (j) => {
      const replaced = j.profiles.saveCostProfile({ name: LAB1.name, costs: { exitRoundTripNs: 6400 }, modelVersion: '0.4.0' }, { replace: true });
      assert.equal(replaced.id, first.id);
      assert.equal(replaced.createdAt, first.createdAt);
      assert.ok(replaced.updatedAt > first.updatedAt, `${replaced.updatedAt} is later than ${first.updatedAt}`);
      assert.deepEqual(replaced.costs, { exitRoundTripNs: 6400 });
      assert.equal(replaced.fit, null, 'a replacement without a fit drops the old one');
      assert.equal(replaced.description, '');
      assert.equal(replaced.modelVersion, '0.4.0');
      assert.deepEqual(j.profiles.getCostProfile(LAB1.name), replaced);
      assert.equal(j.profiles.listCostProfiles().length, 1);
    });
  });

  test('saving an existing name without replace is a ConflictError and writes nothing', () => {
    const path = join(tempDir(), 'j.sqlite');
    withJournal(path, (j) => {
      const original = j.profiles.saveCostProfile(LAB1);
      for (const opts of [undefined, {}, { replace: false }]) {
        assert.throws(
          () => j.profiles.saveCostProfile({ ...LAB1, costs: { exitRoundTripNs: 1 } }, opts),
          (e: unknown) => e instanceof ConflictError && e.message === `cost profile "${LAB1.name}" already exists; pass replace to overwrite it`,
        );
      }
      assert.deepEqual(j.profiles.listCostProfiles(), [original]);
    });
  });

  test('bad input names its field, says what is allowed, and leaves the table unchanged', () => {
    const path = join(tempDir(), 'j.sqlite');
    const before = withJournal(path, (j) => {
      j.profiles.saveCostProfile(LAB1);
      return j.profiles.listCostProfiles();
    });
    const counts = tableCounts(path);
    const ok = { name: 'p', costs: { exitRoundTripNs: 1 }, modelVersion: '0.3.0' };
    const cases: Array<[string, unknown, string, RegExp]> = [
      // What a profile name may look like (no spaces, a letter or digit first) is the protocol's rule, tested in protocol.test.ts.
      ['empty name', { ...ok, name: '' }, 'name', /must not be empty/],
      ['name of 101 characters', { ...ok, name: 'a'.repeat(101) }, 'name', /at most 100 characters/],
      ['name not a string', { ...ok, name: 7 }, 'name', /must be a profile name string, got 7/],
      ['no costs', { ...ok, costs: {} }, 'costs', /must name at least one cost/],
      ['costs not an object', { ...ok, costs: [1, 2] }, 'costs', /must be an object of cost name -> ns/],
      ['missing costs', { name: 'p', modelVersion: '0.3.0' }, 'costs', /must be an object of cost name -> ns/],
      ['negative cost', { ...ok, costs: { exitRoundTripNs: 1, rxPacketNs: -0.5 } }, 'costs.rxPacketNs', /must be >= 0, got -0.5/],
      ['NaN cost', { ...ok, costs: { rxPacketNs: Number.NaN } }, 'costs.rxPacketNs', /finite number/],
      ['infinite cost', { ...ok, costs: { rxPacketNs: Number.POSITIVE_INFINITY } }, 'costs.rxPacketNs', /finite number/],
      ['cost as a string', { ...ok, costs: { rxPacketNs: '930' } }, 'costs.rxPacketNs', /must be a finite number, got "930"/],
      ['cost name with a space', { ...ok, costs: { 'rx packet': 930 } }, 'costs["rx packet"]', /is not a valid key: it must be a cost name/],
      ['description too long', { ...ok, description: 'x'.repeat(2001) }, 'description', /at most 2000 characters/],
      ['fit not JSON', { ...ok, fit: { residual: Number.NaN } }, 'fit.residual', /finite number/],
      ['missing modelVersion', { name: 'p', costs: { a: 1 } }, 'modelVersion', /must be a string/],
    ];
    withJournal(path, (j) => {
      for (const [what, input, field, message] of cases) {
        for (const replace of [false, true]) {
          assert.throws(
            () => j.profiles.saveCostProfile(input as NewCostProfile, { replace }),
            (e: unknown) => e instanceof JournalInputError && e.field === field && message.test(e.message) && e.message.startsWith(`${field} `),
            `${what} (replace: ${replace})`,
          );
        }
      }
      // Replacing with bad input leaves the stored profile as it was.
      assert.throws(() => j.profiles.saveCostProfile({ ...LAB1, costs: { exitRoundTripNs: -1 } }, { replace: true }), JournalInputError);
      assert.throws(() => j.profiles.saveCostProfile(null as unknown as NewCostProfile), (e: unknown) => e instanceof JournalInputError && e.field === 'profile');
      assert.throws(() => j.profiles.getCostProfile(''), (e: unknown) => e instanceof JournalInputError && e.field === 'name');
      assert.throws(() => j.profiles.deleteCostProfile(''), (e: unknown) => e instanceof JournalInputError && e.field === 'name');
      assert.deepEqual(j.profiles.listCostProfiles(), before);
    });
    assert.deepEqual(tableCounts(path), counts);
  });

  test('a 100-character name and the whole allowed alphabet are accepted', () => {
    withJournal(join(tempDir(), 'j.sqlite'), (j) => {
      const long = `A${'b'.repeat(99)}`;
      for (const name of [long, '0', 'x86_64-kvm.6.8+lazy']) {
        assert.equal(j.profiles.saveCostProfile({ name, costs: { zeroNs: 0 }, modelVersion: '0.3.0' }).name, name);
      }
      assert.equal(j.profiles.listCostProfiles().length, 3);
    });
  });

  test('profiles are still there after the journal is reopened from disk', () => {
    const path = join(tempDir(), 'j.sqlite');
    const saved = withJournal(path, (j) => [j.profiles.saveCostProfile(LAB1), j.profiles.saveCostProfile({ name: 'zz-hand', costs: { x: 2.5 }, modelVersion: '1' })]);
    withJournal(path, (j) => {
      assert.deepEqual(j.profiles.listCostProfiles(), saved);
      assert.deepEqual(j.checkIntegrity(), []);
    });
    const reader = openJournal(path, { readonly: true });
    try {
      assert.deepEqual(reader.profiles.getCostProfile(LAB1.name), saved[0]);
      assert.throws(() => reader.profiles.saveCostProfile({ name: 'c', costs: { x: 1 }, modelVersion: '1' }), /readonly/);
    } finally {
      reader.close();
    }
  });
});

describe('schema 4 migration', () => {
  test('a schema-3 journal migrates to 4, keeping its runs and gaining the cost_profiles table', () => {
    const path = join(tempDir(), 'v3.sqlite');
    writeV3Journal(path);
    const raw = new Database(path, { readonly: true });
    const runsBefore = raw.prepare('SELECT id, status, name FROM runs ORDER BY seq').all();
    assert.equal(raw.pragma('user_version', { simple: true }), 3);
    assert.equal(raw.prepare("SELECT 1 FROM sqlite_master WHERE name = 'cost_profiles'").get(), undefined);
    raw.close();
    assert.equal(runsBefore.length, 3);

    withJournal(path, (j) => {
      assert.equal(j.schemaVersion, LATEST_SCHEMA_VERSION);
      assert.equal(LATEST_SCHEMA_VERSION, 7); // 7: one row per distinct scenario (migration 007)
      assert.deepEqual(j.runs.getRun(V1.done).metrics, { latencyP99Us: 210.5, throughputGbps: 9.4 });
      assert.equal(j.runs.getRun(V1.failed).error, 'worker crashed: out of memory');
      assert.equal(j.runs.listRuns().total, 3);
      assert.deepEqual(j.profiles.listCostProfiles(), []);
      j.profiles.saveCostProfile(LAB1);
      assert.deepEqual(j.checkIntegrity(), []);
    });
    const check = new Database(path, { readonly: true });
    try {
      // Same runs (the orphaned running one is recovered as interrupted on open).
      assert.deepEqual(check.prepare('SELECT id, name FROM runs ORDER BY seq').all(), runsBefore.map((r) => ({ id: (r as { id: string }).id, name: (r as { name: string }).name })));
      const columns = (check.pragma('table_info(cost_profiles)') as { name: string; notnull: number }[]).map((c) => `${c.name}${c.notnull ? '!' : ''}`);
      assert.deepEqual(columns, ['id!', 'name!', 'description!', 'costs_json!', 'fit_json', 'model_version!', 'created_at!', 'updated_at!']);
      assert.equal(check.prepare('SELECT count(*) FROM cost_profiles').pluck().get(), 1);
    } finally {
      check.close();
    }
    // The table's own checks hold even for writes that bypass the store.
    const writer = new Database(path);
    try {
      const insert = (id: string, name: string, costs: string, fit: string | null) =>
        writer.prepare('INSERT INTO cost_profiles VALUES (?, ?, \'\', ?, ?, \'1\', \'t\', \'t\')').run(id, name, costs, fit);
      assert.throws(() => insert('short-id', 'x', '{}', null), /CHECK constraint failed/);
      assert.throws(() => insert('00000000-0000-4000-8000-000000000001', 'x', '{not json', null), /CHECK constraint failed/);
      assert.throws(() => insert('00000000-0000-4000-8000-000000000001', 'x', '{}', '[1,'), /CHECK constraint failed/);
      assert.throws(() => insert('00000000-0000-4000-8000-000000000001', LAB1.name, '{}', null), /UNIQUE constraint failed/);
    } finally {
      writer.close();
    }
  });
});

describe('merging cost profiles', () => {
  test('copies profiles missing here by name, keeps ours on a name clash, and adds nothing the second time', () => {
    const dir = tempDir();
    const pathA = join(dir, 'a.sqlite');
    const pathB = join(dir, 'b.sqlite');
    const ours = withJournal(pathA, (a) => {
      a.runs.insertRun(newRun('a run'));
      return a.profiles.saveCostProfile(LAB1);
    });
    const theirs = withJournal(pathB, (b) => {
      const clash = b.profiles.saveCostProfile({ ...LAB1, description: 'their lab1', costs: { exitRoundTripNs: 9999 } });
      const onlyB = b.profiles.saveCostProfile({ name: 'lab2', costs: { rxPacketNs: 812.5 }, fit: FIT, modelVersion: '0.3.1', description: 'host 2' });
      const handB = b.profiles.saveCostProfile({ name: 'by-hand', costs: { exitRoundTripNs: 5800 }, modelVersion: '0.3.1' });
      return { clash, onlyB, handB };
    });

    withJournal(pathA, (a) => {
      const report = a.mergeFrom(pathB);
      assert.equal(report.profilesAdded, 2);
      assert.deepEqual(a.profiles.getCostProfile(LAB1.name), ours, 'the profile of the same name here is kept as it is');
      assert.notDeepEqual(theirs.clash.costs, ours.costs);
      // Copied profiles keep everything, id and timestamps included.
      assert.deepEqual(a.profiles.getCostProfile('lab2'), theirs.onlyB);
      assert.deepEqual(a.profiles.getCostProfile('by-hand'), theirs.handB);
      assert.deepEqual(a.profiles.listCostProfiles().map((p) => p.name), ['by-hand', 'lab1-kvm_6.8+fit', 'lab2']);

      const before: CostProfile[] = a.profiles.listCostProfiles();
      const again = a.mergeFrom(pathB);
      assert.equal(again.profilesAdded, 0);
      assert.deepEqual(Object.entries(again).filter(([, n]) => n !== 0), [], 'B holds no runs, so nothing at all is added');
      assert.deepEqual(a.profiles.listCostProfiles(), before);
      assert.deepEqual(a.checkIntegrity(), []);
    });
  });

  test('a schema-3 journal merges through its migrated copy with no profiles to add', () => {
    const dir = tempDir();
    const v3 = join(dir, 'v3.sqlite');
    writeV3Journal(v3);
    withJournal(join(dir, 'main.sqlite'), (j) => {
      j.profiles.saveCostProfile(LAB1);
      const report = j.mergeFrom(v3);
      assert.equal(report.profilesAdded, 0);
      assert.equal(report.runsAdded, 2);
      assert.equal(j.profiles.listCostProfiles().length, 1);
    });
    const check = new Database(v3, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), 3, 'the other journal is not migrated in place');
    check.close();
  });
});
