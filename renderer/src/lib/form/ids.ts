// Stable element ids and short texts shared by the form's components.
import type { FieldDescriptor } from './schema-form.ts';

/** The input id of a scenario field: `device.mtu` -> `field-device-mtu`. */
export function fieldId(path: string): string {
  return `field-${path.replaceAll('.', '-')}`;
}

/** Big round bounds read better as powers of ten (the cost table allows 0 to 1e9 ns). */
function bound(n: number): string {
  if (Math.abs(n) >= 1e6) {
    const exp = Math.log10(Math.abs(n));
    if (Number.isInteger(exp)) return `${n < 0 ? '-' : ''}1e${exp}`;
    const pow2 = Math.log2(Math.abs(n));
    if (Number.isInteger(pow2)) return `${n < 0 ? '-' : ''}2^${pow2}`;
  }
  return String(n);
}

/** `576–9216` for a numeric field with both bounds, else empty. */
export function rangeText(field: FieldDescriptor): string {
  if (field.kind !== 'integer' && field.kind !== 'number') return '';
  if (field.min === undefined || field.max === undefined) return '';
  return `${bound(field.min)}–${bound(field.max)}`;
}
