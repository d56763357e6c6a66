// The closed-form estimate's range of validity, apart from the estimate so a
// host can state it without loading the model.

/** Above this utilization of any server the queueing formulas are not trusted. */
export const MAX_TRUSTED_UTILIZATION = 0.9;
