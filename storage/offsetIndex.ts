/**
 * Sparse offset index of one segment: relative offset -> byte position of the
 * batch starting there, one entry per ~indexIntervalBytes of log. Kept in
 * memory (typed arrays, binary search) and persisted as 8-byte big-endian
 * entries when the segment is closed; a missing or damaged file is rebuilt by
 * scanning the log, so the file is only a startup shortcut.
 */
export const OFFSET_ENTRY_SIZE = 8;

// An idle segment holds no index entry: arrays are allocated with the first one (shared empty ones until then).
const EMPTY_INT32ARRAY = new Int32Array(0);
const EMPTY_UINT32ARRAY = new Uint32Array(0);

export class OffsetIndex {
  // an idle segment holds no entry: arrays are allocated on the first one
  private rel: Int32Array = EMPTY_INT32ARRAY;
  private pos: Uint32Array = EMPTY_UINT32ARRAY;
  count = 0;
  /** Bumped by every change of the entries: a file written at one version still describes the index at the same. */
  version = 0;

  append(relativeOffset: number, position: number): void {
    if (this.count === this.rel.length) this.grow();
    this.rel[this.count] = relativeOffset;
    this.pos[this.count] = position;
    this.count++;
    this.version++;
  }

  /** Position of the last indexed batch whose base is <= relativeOffset (0 when none). */
  lookup(relativeOffset: number): number {
    const i = this.floorIndex(relativeOffset);
    return i < 0 ? 0 : this.pos[i]!;
  }

  lastEntry(): { relativeOffset: number; position: number } | null {
    if (this.count === 0) return null;
    return { relativeOffset: this.rel[this.count - 1]!, position: this.pos[this.count - 1]! };
  }

  entry(i: number): { relativeOffset: number; position: number } {
    return { relativeOffset: this.rel[i]!, position: this.pos[i]! };
  }

  /** Drops entries at or past `position` (used when the log is truncated). */
  truncateToPosition(position: number): void {
    const before = this.count;
    while (this.count > 0 && this.pos[this.count - 1]! >= position) this.count--;
    if (this.count !== before) this.version++;
  }

  serialize(): Buffer {
    const out = Buffer.allocUnsafe(this.count * OFFSET_ENTRY_SIZE);
    for (let i = 0; i < this.count; i++) {
      out.writeInt32BE(this.rel[i]!, i * OFFSET_ENTRY_SIZE);
      out.writeUInt32BE(this.pos[i]!, i * OFFSET_ENTRY_SIZE + 4);
    }
    return out;
  }

  /** Parses a persisted index; returns null unless entries are strictly increasing and inside the log. */
  static parse(data: Buffer, logSize: number): OffsetIndex | null {
    if (data.length % OFFSET_ENTRY_SIZE !== 0) return null;
    const index = new OffsetIndex();
    let prevRel = -1;
    let prevPos = -1;
    for (let p = 0; p < data.length; p += OFFSET_ENTRY_SIZE) {
      const rel = data.readInt32BE(p);
      const pos = data.readUInt32BE(p + 4);
      if (rel <= prevRel || pos <= prevPos || pos >= logSize) return null;
      index.append(rel, pos);
      prevRel = rel;
      prevPos = pos;
    }
    return index;
  }

  private floorIndex(relativeOffset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= relativeOffset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  private grow(): void {
    const rel = new Int32Array(Math.max(16, this.rel.length * 2));
    rel.set(this.rel);
    const pos = new Uint32Array(Math.max(16, this.pos.length * 2));
    pos.set(this.pos);
    this.rel = rel;
    this.pos = pos;
  }
}
