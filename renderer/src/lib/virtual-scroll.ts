// A list taller than a browser lets an element be: Firefox stops near 17.9M px
// and Chromium near 33.5M, while a journal of a million 30 px rows is 30M px.
// Past MAX_BODY_PX the scrolled body keeps that height and each scrolled pixel
// stands for `k` pixels of the full list, so every row stays reachable.

/** Well under every browser's limit on an element's height. */
export const MAX_BODY_PX = 8_000_000;

export interface ScrollScale {
  /** The height of the scrolled body. */
  bodyPx: number;
  /** Pixels of the full list per scrolled pixel (1: not scaled). */
  k: number;
}

/** `viewportPx`: the height the body's rows show in (below any sticky header in the scrolled area). */
export function scrollScale(rows: number, rowPx: number, viewportPx: number, maxBodyPx = MAX_BODY_PX): ScrollScale {
  const fullPx = rows * rowPx;
  if (fullPx <= maxBodyPx) return { bodyPx: fullPx, k: 1 };
  // The bottom of the scroll range shows the last row: (maxBodyPx - viewport) * k = fullPx - viewport.
  return { bodyPx: maxBodyPx, k: (fullPx - viewportPx) / Math.max(1, maxBodyPx - viewportPx) };
}

/** Where a row sits in the scrolled body, for a scroll position: its place in the full list, shifted by the scale's drift. */
export function rowOffsetPx(row: number, rowPx: number, scrollTopPx: number, scale: ScrollScale): number {
  return scrollTopPx + row * rowPx - scrollTopPx * scale.k;
}

/** The scroll position that puts `fullTopPx` of the full list at the top of the viewport. */
export function scrollTopFor(fullTopPx: number, scale: ScrollScale): number {
  return fullTopPx / scale.k;
}
