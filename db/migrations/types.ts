/** One schema step. Versions are consecutive from 1; a released step is never edited, only followed. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
