import { TRIGGER_HEADERS } from './policy';

/**
 * The look every produced batch gets on its way to the log: does any record carry a header that schedules or
 * cancels it? Most batches with headers carry none of ours, so this walks the record framing in place and compares
 * header names against the trigger names byte by byte: no record objects, no copies. Only a batch that answers yes
 * is decoded in full (src/scheduled/intake.ts).
 */

const TRIGGERS: readonly Buffer[] = TRIGGER_HEADERS.map((h) => Buffer.from(h, 'latin1'));
/** What every trigger name starts with: a body without it has no trigger, found by one native search. */
const MARKER = Buffer.from('brook-');

/** Position after the varint read last; -1 when it was malformed or ran past the end. */
let after = 0;

/** The zigzag varint (at most 5 bytes: an int32) at body[c], which must end before `end`. */
function varint(body: Uint8Array, c: number, end: number): number {
  if (c < end) {
    const b = body[c]!;
    // one byte: every length below 64, the common case
    if (b < 0x80) {
      after = c + 1;
      return (b >>> 1) ^ -(b & 1);
    }
  }
  let raw = 0;
  let mult = 1;
  for (let i = 0; i < 5 && c < end; i++, mult *= 128) {
    const b = body[c++]!;
    raw += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) {
      if (raw > 0xffffffff) break;
      after = c;
      return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
  }
  after = -1;
  return 0;
}

/** Bit n set when a trigger name is n bytes long (all are shorter than 32): most names fail this test alone. */
const LENGTHS = TRIGGERS.reduce((m, t) => m | (1 << t.length), 0);

function isTrigger(body: Uint8Array, at: number, len: number): boolean {
  if (len >= 32 || ((LENGTHS >>> len) & 1) === 0) return false;
  for (let k = 0; k < TRIGGERS.length; k++) {
    const t = TRIGGERS[k]!;
    if (t.length !== len) continue;
    let i = 0;
    while (i < len && body[at + i] === t[i]) i++;
    if (i === len) return true;
  }
  return false;
}

/**
 * Whether the `count` records framed in body[from, to) need the full decode: true when a record has a header
 * named exactly brook-deliver-at, brook-delay-ms or brook-cancel, and when the framing is not what it should be
 * (a length running past the end, a varint too long, a record count the bytes cannot hold), so the decoder reports
 * that as it always did. False otherwise: the batch is not the scheduler's.
 */
export function recordsNeedDecode(body: Uint8Array, from: number, to: number, count: number): boolean {
  let c = from;
  for (let r = 0; r < count; r++) {
    const len = varint(body, c, to);
    if (after < 0 || len < 0 || after + len > to) return true;
    const next = after + len;
    c = after + 1; // attributes
    let n = 0;
    while (c < next && body[c++]! & 0x80) if (++n >= 10) return true; // timestamp delta (a varlong)
    varint(body, c, next); // offset delta
    if (after < 0) return true;
    const keyLen = varint(body, after, next);
    if (after < 0) return true;
    c = keyLen > 0 ? after + keyLen : after;
    const valueLen = varint(body, c, next);
    if (after < 0) return true;
    c = valueLen > 0 ? after + valueLen : after;
    const headers = varint(body, c, next);
    if (after < 0 || headers < 0) return true;
    c = after;
    for (let h = 0; h < headers; h++) {
      const nameLen = varint(body, c, next);
      if (after < 0 || nameLen < 0 || after + nameLen > next) return true;
      const nameAt = after;
      const vLen = varint(body, nameAt + nameLen, next);
      if (after < 0) return true;
      c = vLen > 0 ? after + vLen : after;
      if (c > next) return true;
      if (isTrigger(body, nameAt, nameLen)) return true;
    }
    if (c !== next) return true;
    c = next;
  }
  return c !== to;
}

/**
 * The same answer for a whole records body, cheaper when nothing in it is ours: one native search for "brook-"
 * first, and only a body containing it is walked (it may be a value, or a name such as brook-tag or
 * brook-delay-msx, rather than a trigger).
 */
export function bodyNeedsDecode(body: Buffer, from: number, to: number, count: number): boolean {
  const at = body.indexOf(MARKER, from);
  return at >= 0 && at + MARKER.length <= to && recordsNeedDecode(body, from, to, count);
}
