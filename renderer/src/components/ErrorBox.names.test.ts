// An unknown name in a journal query, as the UI shows it: the service's field
// error (the protocol's schema, as the dispatcher reports it) in the ErrorBox
// the journal views use, with the allowed names and the suggestion.
import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { fieldsOfZodError, methods } from '../../../service/protocol/index.ts';
import { ApiError } from '../lib/api.ts';
import ErrorBox from './ErrorBox.svelte';

function refusal(params: unknown): ApiError {
  const parsed = methods['runs.list'].params.safeParse(params);
  expect(parsed.success).toBe(false);
  const fields = fieldsOfZodError(parsed.error!);
  return new ApiError({ code: 'invalid', message: fields.map((f) => `${f.path}: ${f.message}`).join('; '), fields });
}

describe('unknown names in a journal query', () => {
  it('a metric range on "throughput" names the field and suggests throughputGbps', () => {
    render(ErrorBox, { props: { error: refusal({ filter: { metric: [{ name: 'throughput', min: 40 }] } }), title: 'Could not list runs' } });
    const box = screen.getByRole('alert');
    expect(box.textContent).toMatch(/filter\.metric\.0\.name: unknown metric "throughput"\. Did you mean throughputGbps\? Allowed: throughputGbps, packetsPerSec/);
  });
  it('a sort on an unknown column and a filter on an unknown scenario field are refused the same way', () => {
    render(ErrorBox, { props: { error: refusal({ sort: { by: 'bogus' }, filter: { scenario: [{ path: '$.backend', value: 'shadow-sl' }] } }) } });
    const text = screen.getByRole('alert').textContent ?? '';
    expect(text).toMatch(/sort\.by: unknown sort key "bogus"\. Allowed: created_at, name, status, duration_ms/);
    expect(text).toMatch(/filter\.scenario\.0\.path: unknown scenario field "backend"\. Did you mean viommu\.backend\?/);
  });
});
