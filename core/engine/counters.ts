// Event counters with snapshots, so metrics can exclude the warm-up. The
// model declares its counter names as a union type; names are registered once
// and counted by index, so the hot path is an array add.

export class Counters<K extends string> {
  private readonly index = new Map<K, number>();
  private values = new Float64Array(64);

  /** The slot of a counter name, created on first use. */
  id(name: K): number {
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.index.size;
      this.index.set(name, i);
      if (i >= this.values.length) {
        const grown = new Float64Array(this.values.length * 2);
        grown.set(this.values);
        this.values = grown;
      }
    }
    return i;
  }

  add(id: number, by = 1): void {
    this.values[id]! += by;
  }

  inc(name: K, by = 1): void {
    this.values[this.id(name)]! += by;
  }

  get(name: K): number {
    const i = this.index.get(name);
    return i === undefined ? 0 : this.values[i]!;
  }

  snapshot(): Map<K, number> {
    const out = new Map<K, number>();
    for (const [name, i] of this.index) out.set(name, this.values[i]!);
    return out;
  }

  /** Counts accumulated since `base` was taken. */
  since(base: Map<K, number>): Map<K, number> {
    const out = new Map<K, number>();
    for (const [name, i] of this.index) out.set(name, this.values[i]! - (base.get(name) ?? 0));
    return out;
  }
}
