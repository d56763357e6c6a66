// Files the user hands the command in other encodings: a UTF-8 byte-order
// mark and UTF-16 with one are read; NUL bytes without a mark and invalid
// UTF-8 are usage errors naming the option and the file (exit 2).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, tempDir } from '../fixtures/journal-helpers.ts';
import { runCli } from './cli-run.ts';

after(cleanupTempDirs);

const SCENARIO = JSON.stringify({ durationMs: 30, warmupMs: 3, viommu: { backend: 'none' }, guest: { kernel: '6.8' } });

function utf16(text: string, endian: 'le' | 'be'): Buffer {
  const le = Buffer.from(text, 'utf16le');
  if (endian === 'le') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  return Buffer.concat([Buffer.from([0xfe, 0xff]), le.swap16()]);
}

test('--config files with a UTF-8 BOM or in UTF-16 with a BOM are read; others are named usage errors', async () => {
  const dir = tempDir();
  const cases: [string, Buffer][] = [
    ['bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SCENARIO)])],
    ['utf16le.json', utf16(SCENARIO, 'le')],
    ['utf16be.json', utf16(SCENARIO, 'be')],
  ];
  for (const [name, bytes] of cases) {
    writeFileSync(join(dir, name), bytes);
    const r = await runCli(['simulate', '--config', join(dir, name), '--no-save', '--json', '--journal', join(dir, 'j.sqlite')]);
    assert.equal(r.code, 0, `${name}: ${r.err}`);
    assert.equal(JSON.parse(r.out).scenario.viommu.backend, 'none', name);
  }
  const noMark = join(dir, 'nomark.json');
  writeFileSync(noMark, Buffer.from(SCENARIO, 'utf16le'));
  const r1 = await runCli(['simulate', '--config', noMark, '--no-save', '--journal', join(dir, 'j.sqlite')]);
  assert.equal(r1.code, 2);
  assert.equal(r1.err, `iommu-lab: --config: ${noMark} holds NUL bytes: UTF-16 without a byte-order mark, or not text; save it as UTF-8\n`);
  const latin1 = join(dir, 'latin1.json');
  writeFileSync(latin1, Buffer.from('{"name": "caf\xe9"}', 'latin1'));
  const r2 = await runCli(['simulate', '--config', latin1, '--no-save', '--journal', join(dir, 'j.sqlite')]);
  assert.equal(r2.code, 2);
  assert.match(r2.err, /^iommu-lab: --config: .*latin1\.json is not UTF-8 text; save it as UTF-8\n$/);
});
