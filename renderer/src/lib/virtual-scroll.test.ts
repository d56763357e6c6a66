import { describe, expect, it } from 'vitest';
import { MAX_BODY_PX, rowOffsetPx, scrollScale, scrollTopFor } from './virtual-scroll.ts';

describe('virtual scrolling past the browser height limit', () => {
  it('does not scale a list that fits', () => {
    const s = scrollScale(1000, 30, 600);
    expect(s).toEqual({ bodyPx: 30_000, k: 1 });
    expect(rowOffsetPx(10, 30, 5000, s)).toBe(300);
  });

  it('keeps a million rows in a body under the limit, and every row reachable', () => {
    const rows = 1_000_000;
    const viewport = 600;
    const s = scrollScale(rows, 30, viewport);
    expect(s.bodyPx).toBe(MAX_BODY_PX);
    expect(s.k).toBeGreaterThan(3);
    // At the bottom of the scroll range the last row ends at the viewport's bottom edge.
    const bottom = s.bodyPx - viewport;
    expect(rowOffsetPx(rows - 1, 30, bottom, s) + 30).toBeCloseTo(bottom + viewport, 6);
    // At the top the first row starts at 0.
    expect(rowOffsetPx(0, 30, 0, s)).toBe(0);
    // Any row brought to the top by scrollTopFor sits at the viewport's top edge.
    for (const row of [1, 123_456, 599_999, 999_980]) {
      const top = scrollTopFor(row * 30, s);
      expect(top).toBeLessThanOrEqual(bottom);
      expect(rowOffsetPx(row, 30, top, s)).toBeCloseTo(top, 6);
    }
  });

  it('places neighbouring rows one row height apart at any scroll position', () => {
    const s = scrollScale(2_000_000, 30, 800);
    const top = 1_234_567;
    expect(rowOffsetPx(42_001, 30, top, s) - rowOffsetPx(42_000, 30, top, s)).toBeCloseTo(30, 9);
  });
});
