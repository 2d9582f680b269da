/**
 * The schedule's in-memory index: which offsets of `__brook_scheduled` are pending and when each is due.
 * Only 24 bytes per pending record live here, in typed arrays (no object per record): a binary min-heap
 * of (due, offset, keyHash, target topic number) ordered by due time then offset, so records due at the same millisecond come
 * out in the order they were produced. The records themselves stay on disk in the log and are read back
 * when they fall due. Removal (cancel, delivery found at recovery) is lazy: a bitmap over the log's offsets
 * marks resolved schedules, and the heap skips them when they reach its top.
 */
export class TimerIndex {
  private due = new Float64Array(1024);
  private offset = new Float64Array(1024);
  private hash = new Int32Array(1024);
  private topic = new Uint32Array(1024);
  private size = 0;
  /** Bit i set: offset base+i is resolved (delivered or cancelled) or not a schedule. */
  private resolvedBits = new Uint8Array(1024);
  private base = 0;
  private pendingCount = 0;

  /** Offsets below `base` are all resolved (the log starts there). */
  reset(base: number): void {
    this.size = 0;
    this.pendingCount = 0;
    this.base = base;
    this.resolvedBits.fill(0);
  }

  get pending(): number {
    return this.pendingCount;
  }

  /** The heap slots in use, resolved ones not yet dropped included (memory use, not the pending count). */
  get slots(): number {
    return this.size;
  }

  add(offset: number, due: number, keyHash: number, topic = 0): void {
    this.push(offset, due, keyHash, topic);
    this.pendingCount++;
  }

  /** Puts back what takeDue took and could not be delivered (it never stopped being pending). */
  requeue(offset: number, due: number, keyHash: number, topic: number): void {
    if (!this.isResolved(offset)) this.push(offset, due, keyHash, topic);
  }

  private push(offset: number, due: number, keyHash: number, topic: number): void {
    if (this.size === this.due.length) this.grow();
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(due, offset, this.due[parent]!, this.offset[parent]!)) break;
      this.move(parent, i);
      i = parent;
    }
    this.due[i] = due;
    this.offset[i] = offset;
    this.hash[i] = keyHash;
    this.topic[i] = topic;
  }

  isResolved(offset: number): boolean {
    const i = offset - this.base;
    if (i < 0) return true;
    const byte = i >>> 3;
    return byte < this.resolvedBits.length && (this.resolvedBits[byte]! & (1 << (i & 7))) !== 0;
  }

  /** Marks a pending schedule resolved; false when it was not pending. */
  resolve(offset: number): boolean {
    if (this.isResolved(offset)) return false;
    const i = offset - this.base;
    const byte = i >>> 3;
    if (byte >= this.resolvedBits.length) {
      const bigger = new Uint8Array(Math.max(byte + 1, this.resolvedBits.length * 2));
      bigger.set(this.resolvedBits);
      this.resolvedBits = bigger;
    }
    this.resolvedBits[byte]! |= 1 << (i & 7);
    this.pendingCount--;
    return true;
  }

  /** Due time of the earliest pending schedule, Infinity when none. */
  nextDue(): number {
    this.dropResolvedTop();
    return this.size === 0 ? Infinity : this.due[0]!;
  }

  /**
   * Takes up to `max` pending schedules due at or before `now`, earliest first, off the heap (they stay
   * pending until resolved; a failed delivery puts them back with `requeue`).
   */
  takeDue(now: number, max: number): { offsets: number[]; dues: number[]; hashes: number[]; topics: number[] } {
    const offsets: number[] = [];
    const dues: number[] = [];
    const hashes: number[] = [];
    const topics: number[] = [];
    while (offsets.length < max) {
      this.dropResolvedTop();
      if (this.size === 0 || this.due[0]! > now) break;
      offsets.push(this.offset[0]!);
      dues.push(this.due[0]!);
      hashes.push(this.hash[0]!);
      topics.push(this.topic[0]!);
      this.pop();
    }
    return { offsets, dues, hashes, topics };
  }

  /** Pending offsets whose key hash is `h` (a cancel by key compares the candidates' records exactly). */
  withHash(h: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.hash[i] === h && !this.isResolved(this.offset[i]!)) out.push(this.offset[i]!);
    return out;
  }

  /** Pending entries per topic number (entries taken by a running round are not counted). */
  countByTopic(): Map<number, number> {
    const out = new Map<number, number>();
    for (let i = 0; i < this.size; i++) if (!this.isResolved(this.offset[i]!)) out.set(this.topic[i]!, (out.get(this.topic[i]!) ?? 0) + 1);
    return out;
  }

  /** The `k` earliest pending (offset, due) pairs, earliest first: one pass, keeping a small sorted list. */
  earliest(k: number): Array<{ offset: number; due: number }> {
    const out: Array<{ offset: number; due: number }> = [];
    for (let i = 0; i < this.size; i++) {
      const due = this.due[i]!;
      const offset = this.offset[i]!;
      if (out.length === k && !this.less(due, offset, out[k - 1]!.due, out[k - 1]!.offset)) continue;
      if (this.isResolved(offset)) continue;
      let j = out.length;
      while (j > 0 && this.less(due, offset, out[j - 1]!.due, out[j - 1]!.offset)) j--;
      out.splice(j, 0, { offset, due });
      if (out.length > k) out.pop();
    }
    return out;
  }

  /** The lowest pending offset, or Infinity: the log may start there. */
  lowestPending(): number {
    let low = Infinity;
    for (let i = 0; i < this.size; i++) if (this.offset[i]! < low && !this.isResolved(this.offset[i]!)) low = this.offset[i]!;
    return low;
  }

  /** Bytes held by the index (for the benchmark and metrics). */
  get bytes(): number {
    return this.due.byteLength + this.offset.byteLength + this.hash.byteLength + this.topic.byteLength + this.resolvedBits.byteLength;
  }

  private dropResolvedTop(): void {
    while (this.size > 0 && this.isResolved(this.offset[0]!)) this.pop();
  }

  private pop(): void {
    const last = --this.size;
    if (last === 0) return;
    const d = this.due[last]!;
    const o = this.offset[last]!;
    const h = this.hash[last]!;
    const t = this.topic[last]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      const c = r < last && this.less(this.due[r]!, this.offset[r]!, this.due[l]!, this.offset[l]!) ? r : l;
      if (!this.less(this.due[c]!, this.offset[c]!, d, o)) break;
      this.move(c, i);
      i = c;
    }
    this.due[i] = d;
    this.offset[i] = o;
    this.hash[i] = h;
    this.topic[i] = t;
  }

  private less(d1: number, o1: number, d2: number, o2: number): boolean {
    return d1 < d2 || (d1 === d2 && o1 < o2);
  }

  private move(from: number, to: number): void {
    this.due[to] = this.due[from]!;
    this.offset[to] = this.offset[from]!;
    this.hash[to] = this.hash[from]!;
    this.topic[to] = this.topic[from]!;
  }

  private grow(): void {
    const n = this.due.length * 2;
    const d = new Float64Array(n);
    d.set(this.due);
    const o = new Float64Array(n);
    o.set(this.offset);
    const h = new Int32Array(n);
    h.set(this.hash);
    const t = new Uint32Array(n);
    t.set(this.topic);
    this.due = d;
    this.offset = o;
    this.hash = h;
    this.topic = t;
  }
}
