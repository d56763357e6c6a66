// Timestamps are stored everywhere as ISO-8601 UTC strings with milliseconds
// ("2025-01-31T12:00:00.000Z"): fixed width, so text order is time order,
// and readable when someone opens the file with the sqlite3 shell.

export function nowIso(): string {
  return new Date().toISOString();
}

/** Canonical form of a timestamp given as ISO string, Date or epoch ms; undefined if invalid. */
export function toIso(value: string | number | Date): string | undefined {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Milliseconds between two stored timestamps. */
export function msBetween(from: string, to: string): number {
  return Date.parse(to) - Date.parse(from);
}
