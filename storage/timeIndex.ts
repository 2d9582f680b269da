/**
 * Sparse time index of one segment: (max timestamp so far, relative offset,
 * position of the batch that reached it). Entries only ever increase in
 * timestamp, so "first batch that may hold a record >= T" is a binary search.
 * Persisted as 16-byte entries next to the offset index, rebuilt on damage.
 */
export const TIME_ENTRY_SIZE = 16;

// An idle segment holds no index entry: arrays are allocated with the first one (shared empty ones until then).
const EMPTY_FLOAT64ARRAY = new Float64Array(0);
const EMPTY_INT32ARRAY = new Int32Array(0);
const EMPTY_UINT32ARRAY = new Uint32Array(0);

export class TimeIndex {
  // an idle segment holds no entry: arrays are allocated on the first one
  private ts: Float64Array = EMPTY_FLOAT64ARRAY;
  private rel: Int32Array = EMPTY_INT32ARRAY;
  private pos: Uint32Array = EMPTY_UINT32ARRAY;
  count = 0;
  /** Bumped by every change of the entries: a file written at one version still describes the index at the same. */
  version = 0;

  /** Appends only when the timestamp grows; returns whether an entry was added. */
  maybeAppend(timestamp: number, relativeOffset: number, position: number): boolean {
    if (this.count > 0 && timestamp <= this.ts[this.count - 1]!) return false;
    if (this.count === this.ts.length) this.grow();
    this.ts[this.count] = timestamp;
    this.rel[this.count] = relativeOffset;
    this.pos[this.count] = position;
    this.count++;
    this.version++;
    return true;
  }

  /**
   * Where to start scanning for the first record with timestamp >= target:
   * every batch before the last entry whose timestamp is < target holds only
   * smaller timestamps, so scanning can start at that entry's batch.
   */
  startPositionFor(target: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.pos[found]!;
  }

  lastEntry(): { timestamp: number; relativeOffset: number; position: number } | null {
    if (this.count === 0) return null;
    const i = this.count - 1;
    return { timestamp: this.ts[i]!, relativeOffset: this.rel[i]!, position: this.pos[i]! };
  }

  truncateToPosition(position: number): void {
    const before = this.count;
    while (this.count > 0 && this.pos[this.count - 1]! >= position) this.count--;
    if (this.count !== before) this.version++;
  }

  serialize(): Buffer {
    const out = Buffer.allocUnsafe(this.count * TIME_ENTRY_SIZE);
    for (let i = 0; i < this.count; i++) {
      const p = i * TIME_ENTRY_SIZE;
      out.writeDoubleBE(this.ts[i]!, p);
      out.writeInt32BE(this.rel[i]!, p + 8);
      out.writeUInt32BE(this.pos[i]!, p + 12);
    }
    return out;
  }

  static parse(data: Buffer, logSize: number): TimeIndex | null {
    if (data.length % TIME_ENTRY_SIZE !== 0) return null;
    const index = new TimeIndex();
    let prevTs = -Infinity;
    let prevPos = -1;
    for (let p = 0; p < data.length; p += TIME_ENTRY_SIZE) {
      const ts = data.readDoubleBE(p);
      const rel = data.readInt32BE(p + 8);
      const pos = data.readUInt32BE(p + 12);
      if (!Number.isFinite(ts) || ts <= prevTs || pos < prevPos || pos >= logSize || rel < 0) return null;
      index.maybeAppend(ts, rel, pos);
      prevTs = ts;
      prevPos = pos;
    }
    return index;
  }

  private grow(): void {
    const ts = new Float64Array(Math.max(16, this.ts.length * 2));
    ts.set(this.ts);
    const rel = new Int32Array(Math.max(16, this.rel.length * 2));
    rel.set(this.rel);
    const pos = new Uint32Array(Math.max(16, this.pos.length * 2));
    pos.set(this.pos);
    this.ts = ts;
    this.rel = rel;
    this.pos = pos;
  }
}
