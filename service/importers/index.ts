// Importers of measured results: iperf3 -J and fio JSON output.
export { ImportError } from './errors.ts';
export { parseIperf3, iperf3FromJson } from './iperf3.ts';
export { parseFio, fioFromJson } from './fio.ts';
export { CONTEXT_KEYS, MEASUREMENT_TOOLS, importMeasurement, parseMeasurement } from './import.ts';
export type { ContextKey, ImportMeasurementInput, ImportMeasurementResult } from './import.ts';
export type { FioDirection, FioJob, FioMeasurement, Iperf3Measurement, Measurement, MeasurementTool } from './types.ts';
