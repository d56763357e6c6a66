// Bump on any change that can alter a result for the same scenario and seed:
// runs are reproducible from scenario + seed + model version.
export const MODEL_VERSION = '2.0.0';
