// Schema 5: histories on a meaningful axis. A benchmark orders its points by
// a key of its choosing (time, the order points were added, the kernel, or any
// context key); markers sit between points (before or after one, or at a
// kernel version) instead of only at a time; imports remember a content hash
// so the same file is not counted twice; deleting a run deletes its points.
import type { Migration } from './types.ts';

export const historyAxes: Migration = {
  version: 5,
  name: 'history_axes',
  sql: `
ALTER TABLE benchmarks ADD COLUMN order_by TEXT NOT NULL DEFAULT 'time';

ALTER TABLE benchmark_points ADD COLUMN content_hash TEXT;
CREATE INDEX benchmark_points_by_hash ON benchmark_points (benchmark_id, content_hash) WHERE content_hash IS NOT NULL;

-- A marker anchored to a point keeps its time (at) as the fallback when that point is removed.
ALTER TABLE benchmark_markers ADD COLUMN point_id TEXT REFERENCES benchmark_points(id) ON DELETE SET NULL;
ALTER TABLE benchmark_markers ADD COLUMN side TEXT CHECK (side IS NULL OR side IN ('before', 'after'));
ALTER TABLE benchmark_markers ADD COLUMN kernel TEXT;

-- A point stands for its run: it goes with it (before the run row, so the reference still matches).
CREATE TRIGGER runs_delete_benchmark_points BEFORE DELETE ON runs
BEGIN
  DELETE FROM benchmark_points WHERE run_id = OLD.id;
END;
`,
};
