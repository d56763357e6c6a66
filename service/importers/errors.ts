// What an importer throws when a tool's output cannot be read: the JSON path
// at fault inside the file and what was expected there.
export class ImportError extends Error {
  override readonly name = 'ImportError';
  constructor(
    readonly tool: 'iperf3' | 'fio',
    /** JSON path inside the tool's output, e.g. `end.sum_received.bits_per_second`; '' for the whole file. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
