/** Thrown by acquire() on a segment already deleted or replaced; readers retry with the current segment list. */
export class SegmentGoneError extends Error {
  constructor(segment: string) {
    super(`segment ${segment} was deleted or replaced`);
    this.name = 'SegmentGoneError';
  }
}

/** A segment's files are named by its base offset, 20 digits (Kafka's layout). */
export function segmentFileName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}
