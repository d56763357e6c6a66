/** A point whose metric the simulation does not produce: thrown in the worker, it names the point's field. */
export class CalibrationInputError extends Error {
  override readonly name = 'CalibrationInputError';
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}
