// Binary min-heap of events ordered by (time, sequence): ties resolve in
// insertion order, which keeps runs deterministic.

export class EventQueue<T> {
  private times: number[] = [];
  private seqs: number[] = [];
  private items: T[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(time: number, item: T): void {
    const i = this.items.length;
    this.times.push(time);
    this.seqs.push(this.seq++);
    this.items.push(item);
    this.up(i);
  }

  peekTime(): number {
    return this.items.length ? this.times[0]! : Infinity;
  }

  /** Removes the earliest event; call only when size > 0. */
  pop(): { time: number; item: T } {
    const time = this.times[0]!;
    const item = this.items[0]!;
    const last = this.items.length - 1;
    if (last > 0) {
      this.times[0] = this.times[last]!;
      this.seqs[0] = this.seqs[last]!;
      this.items[0] = this.items[last]!;
    }
    this.times.pop();
    this.seqs.pop();
    this.items.pop();
    if (last > 0) this.down(0);
    return { time, item };
  }

  private less(i: number, j: number): boolean {
    const ti = this.times[i]!;
    const tj = this.times[j]!;
    return ti < tj || (ti === tj && this.seqs[i]! < this.seqs[j]!);
  }

  private swap(i: number, j: number): void {
    [this.times[i], this.times[j]] = [this.times[j]!, this.times[i]!];
    [this.seqs[i], this.seqs[j]] = [this.seqs[j]!, this.seqs[i]!];
    [this.items[i], this.items[j]] = [this.items[j]!, this.items[i]!];
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
}
