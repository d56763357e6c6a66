import { describe, expect, it } from 'vitest';
import { KEY_METRICS } from './types.ts';
import { MEASURED_METRICS, measuredSummary } from './journal-columns.ts';

describe('measured runs in the journal', () => {
  it('asks for what iperf3 and fio report, none of which is a simulation key metric', () => {
    for (const m of ['receivedGbps', 'sentGbps', 'retransmits', 'readIops']) expect(MEASURED_METRICS).toContain(m);
    for (const m of KEY_METRICS) expect(MEASURED_METRICS).not.toContain(m);
  });

  it('shows a measured run its own values with label and unit, in catalog order, at most three', () => {
    const summary = measuredSummary({ sentGbps: 9.42, receivedGbps: 9.41, retransmits: 12, hostCpuPercent: 40, throughputGbps: Number.NaN });
    expect(summary.map((s) => s.text)).toEqual(['Received 9.41 Gbit/s', 'Sent 9.42 Gbit/s', 'TCP retransmits 12']);
    expect(measuredSummary({})).toEqual([]);
  });
});
