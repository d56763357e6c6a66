import { describe, expect, it } from 'vitest';
import { detectTool, groupForImport } from './measurements.ts';

const iperf = JSON.stringify({ start: {}, intervals: [], end: {} });
const fio = JSON.stringify({ 'fio version': 'fio-3.35', jobs: [] });

describe('measured files', () => {
  it('tells iperf3 from fio by content and names what is neither', () => {
    expect(detectTool(iperf)).toBe('iperf3');
    expect(detectTool(fio)).toBe('fio');
    expect(detectTool('Connecting to host')).toEqual({ error: 'not JSON (iperf3 needs -J, fio --output-format=json)' });
    expect(detectTool('{"a":1}')).toMatchObject({ error: expect.stringMatching(/^neither iperf3/) });
  });

  it('groups several files of one tool, and refuses a mix or a bad file, naming it', () => {
    expect(groupForImport([{ fileName: 'a.json', text: iperf }, { fileName: 'b.json', text: iperf }])).toEqual({ tool: 'iperf3', files: [{ fileName: 'a.json', text: iperf }, { fileName: 'b.json', text: iperf }] });
    expect(groupForImport([{ fileName: 'a.json', text: iperf }, { fileName: 'f.json', text: fio }])).toMatchObject({ error: expect.stringMatching(/together/) });
    expect(groupForImport([{ fileName: 'a.json', text: iperf }, { fileName: 'x.txt', text: 'hello' }])).toEqual({ error: 'x.txt: not JSON (iperf3 needs -J, fio --output-format=json)' });
  });
});
