// Assertions shared by the contract tests.
import assert from 'node:assert/strict';
import { ServiceError } from '../../service/index.ts';

/** The call fails with this error code and, if given, a field whose path matches. */
export async function rejects(call: Promise<unknown>, code: string, field?: RegExp): Promise<ServiceError> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof ServiceError, `expected a ServiceError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (field) assert.ok(err.fields?.some((f) => field.test(f.path)), `no field matching ${field} in ${JSON.stringify(err.fields)}`);
    return err;
  }
  assert.fail('the call should have failed');
}
