// The protocol every host speaks: method and event schemas with complete
// results, errors, the shared field rules, the metric catalog, and the one
// client with its transports. Runtime-neutral: no Node, DOM or journal
// imports, so the page, Electron main, workers and Node hosts all load it.
export * from './json.ts';
export * from './fields.ts';
export * from './errors.ts';
export * from './metrics.ts';
export { editDistance, KNOWN_METRICS, scenarioLeafPaths, suggest, unknownMetricMessage, unknownScenarioPathMessage, unknownSortKeyMessage } from './names.ts';
export * from './scenario-source.ts';
export * from './calibration.ts';
export * from './results.ts';
export * from './simulation.ts';
export * from './methods.ts';
export * from './events.ts';
export * from './wire.ts';
export * from './client.ts';
export * from './transports.ts';
/** The cost table (values, basis, description, source): data only, so clients can show what a profile changes. */
export { COST_TABLE, COST_NAMES, type CostName } from '../../core/model/costs.ts';
/** The scalar metrics every simulation reports (calibration points compare against them). */
export { SCALAR_METRIC_NAMES } from '../../core/model/result.ts';
/** The default domain type as a decision's kernel names it (no IOMMU_DOMAIN_DMA_FQ before v5.15), as policy.explain gives it. */
export { kernelDomainType } from '../../core/policy/format.ts';
export * from './downloads.ts';
