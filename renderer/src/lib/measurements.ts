// Measured result files the user drops on the window or picks: which tool
// wrote each (iperf3 -J or fio --output-format=json), read from its content,
// not its name, so renamed files still import.

export type MeasurementTool = 'iperf3' | 'fio';

/** The tool whose JSON this is, or a sentence saying why it is neither. */
export function detectTool(text: string): MeasurementTool | { error: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { error: 'not JSON (iperf3 needs -J, fio --output-format=json)' };
  }
  const o = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  if (o && 'start' in o && 'end' in o && 'intervals' in o) return 'iperf3';
  if (o && 'fio version' in o && Array.isArray(o.jobs)) return 'fio';
  return { error: 'neither iperf3 -J output (start, intervals, end) nor fio JSON (fio version, jobs)' };
}

export interface PickedFiles {
  tool: MeasurementTool;
  files: { fileName: string; text: string }[];
}

/** The files as one import of one tool, or why not (each refused file named). */
export function groupForImport(files: readonly { fileName: string; text: string }[]): PickedFiles | { error: string } {
  if (files.length === 0) return { error: 'no files' };
  const tools = files.map((f) => ({ f, tool: detectTool(f.text) }));
  const refused = tools.filter((t) => typeof t.tool !== 'string');
  if (refused.length) return { error: refused.map((t) => `${t.f.fileName}: ${(t.tool as { error: string }).error}`).join('; ') };
  const kinds = new Set(tools.map((t) => t.tool as MeasurementTool));
  if (kinds.size > 1) return { error: 'iperf3 and fio files together: import each tool\'s files on their own' };
  return { tool: [...kinds][0] as MeasurementTool, files: [...files] };
}
