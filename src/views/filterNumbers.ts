/**
 * Numbers in view filters, as RocketMQ's SQL92 filter compares them: a record's text against an integer literal
 * exactly (RocketMQ: `Long.valueOf`, no rounding; text that is no number does not match), doubles as soon as a side
 * has a fraction or an exponent. Only strict decimal text is a number (`-?\d+(\.\d+)?([eE][+-]?\d+)?`): no blanks,
 * no `+`, no hex. Integers compare exactly at any length (beyond RocketMQ's 64 bits, by their digits, in time
 * linear in their length), without allocating when both fit 15 digits.
 */

const NOT_A_NUMBER = 0;
const INTEGER = 1;
const FRACTION = 2;

/** Digits a double holds exactly whatever they are (2^53 has 16). */
const EXACT_DIGITS = 15;

/** A number of a filter: a literal, or a JSON number a double would round (kept as its text). */
export class Decimal {
  readonly integer: boolean;
  readonly double: number;
  /** An integer's value when a double surely holds it exactly (at most 15 characters), else NaN. */
  readonly exact: number;
  constructor(readonly text: string) {
    this.integer = /^-?\d+$/.test(text);
    this.double = Number(text);
    this.exact = this.integer && text.length > EXACT_DIGITS ? NaN : this.double;
  }
}

/** A side of a numeric comparison: a JSON number (a double: a safe integer or a fraction), a Decimal, or record text. */
export type NumberSide = number | Decimal | string;

/** Whether record text is a number in strict decimal syntax. */
export function isNumberText(s: string): boolean {
  return shape(s) !== NOT_A_NUMBER;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function digitsFrom(s: string, i: number): number {
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/** What the last shape() of an INTEGER found: its value when a double holds it exactly, else NaN. */
let scanned = NaN;

/** NOT_A_NUMBER, INTEGER or FRACTION (with a fraction or an exponent) for strict decimal text. */
function shape(s: string): number {
  const negative = s.charCodeAt(0) === 45; // '-'
  let i = negative ? 1 : 0;
  // the integer part's value is summed while scanning: exact up to 15 digits, and no Number() call on the hot path
  let value = 0;
  let j = i;
  for (; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (!isDigit(c)) break;
    value = value * 10 + (c - 48);
  }
  if (j === i) return NOT_A_NUMBER;
  if (j === s.length) {
    scanned = j - i <= EXACT_DIGITS ? (negative ? -value : value) : NaN;
    return INTEGER;
  }
  if (s.charCodeAt(j) === 46) {
    // '.'
    i = j + 1;
    j = digitsFrom(s, i);
    if (j === i) return NOT_A_NUMBER;
  }
  if (j < s.length && (s.charCodeAt(j) | 0x20) === 101) {
    // 'e' or 'E'
    i = j + 1;
    const sign = s.charCodeAt(i);
    if (sign === 43 || sign === 45) i++;
    j = digitsFrom(s, i);
    if (j === i) return NOT_A_NUMBER;
  }
  return j === s.length ? FRACTION : NOT_A_NUMBER;
}

/**
 * The order of two numbers (-1, 0, 1), or null when a side is not a number. Two integers compare exactly; a side with
 * a fraction or an exponent makes it a comparison of doubles.
 */
export function compareNumbers(a: NumberSide, b: NumberSide): number | null {
  let sa: number;
  let x: number;
  if (typeof a === 'string') {
    sa = shape(a);
    x = scanned;
  } else if (typeof a === 'number') {
    sa = Number.isSafeInteger(a) ? INTEGER : FRACTION;
    x = a;
  } else {
    sa = a.integer ? INTEGER : FRACTION;
    x = a.exact;
  }
  let sb: number;
  let y: number;
  if (typeof b === 'string') {
    sb = shape(b);
    y = scanned;
  } else if (typeof b === 'number') {
    sb = Number.isSafeInteger(b) ? INTEGER : FRACTION;
    y = b;
  } else {
    sb = b.integer ? INTEGER : FRACTION;
    y = b.exact;
  }
  if (sa === NOT_A_NUMBER || sb === NOT_A_NUMBER) return null;
  if (sa === INTEGER && sb === INTEGER) {
    // both exact (neither NaN): the common case, no allocation
    if (x === x && y === y) return x === y ? 0 : x < y ? -1 : 1;
    return compareIntegerText(integerText(a), integerText(b));
  }
  x = typeof a === 'number' ? a : typeof a === 'string' ? Number(a) : a.double;
  y = typeof b === 'number' ? b : typeof b === 'string' ? Number(b) : b.double;
  return x === y ? 0 : x < y ? -1 : 1;
}

function integerText(x: NumberSide): string {
  return typeof x === 'string' ? x : typeof x === 'number' ? String(x) : x.text;
}

/** The order of two integers in decimal text (`-?\d+`, leading zeros allowed), by their digits. */
export function compareIntegerText(a: string, b: string): number {
  const negA = a.charCodeAt(0) === 45;
  const negB = b.charCodeAt(0) === 45;
  let i = negA ? 1 : 0;
  let j = negB ? 1 : 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const zeroA = a.length - i === 1 && a.charCodeAt(i) === 48;
  const zeroB = b.length - j === 1 && b.charCodeAt(j) === 48;
  // -0 is 0
  const signA = zeroA ? 0 : negA ? -1 : 1;
  const signB = zeroB ? 0 : negB ? -1 : 1;
  if (signA !== signB) return signA < signB ? -1 : 1;
  if (signA === 0) return 0;
  let order = a.length - i - (b.length - j);
  for (; order === 0 && i < a.length; i++, j++) order = a.charCodeAt(i) - b.charCodeAt(j);
  const magnitude = order === 0 ? 0 : order < 0 ? -1 : 1;
  return signA < 0 ? -magnitude : magnitude;
}

/**
 * The raw text of top-level field `name` of a JSON object text that JSON.parse accepted (the last one, as JSON.parse
 * keeps), or null. Lets a JSON number a double would round be compared by its digits; linear in the text's length.
 */
export function jsonFieldText(json: string, name: string): string | null {
  let i = skipBlanks(json, 0);
  if (json[i] !== '{') return null;
  let found: string | null = null;
  i = skipBlanks(json, i + 1);
  while (i < json.length && json[i] === '"') {
    const keyEnd = stringEnd(json, i);
    const raw = json.slice(i + 1, keyEnd - 1);
    const key = raw.includes('\\') ? (JSON.parse(json.slice(i, keyEnd)) as string) : raw;
    i = skipBlanks(json, skipBlanks(json, keyEnd) + 1); // past ':'
    const valueEnd = valueEndOf(json, i);
    if (key === name) found = json.slice(i, valueEnd);
    i = skipBlanks(json, valueEnd);
    if (json[i] !== ',') break;
    i = skipBlanks(json, i + 1);
  }
  return found;
}

function skipBlanks(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  return i;
}

/** The index after the string starting (with its quote) at i. */
function stringEnd(s: string, i: number): number {
  for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
  return i + 1;
}

/** The index after the value starting at i. */
function valueEndOf(s: string, i: number): number {
  if (s[i] === '"') return stringEnd(s, i);
  if (s[i] === '{' || s[i] === '[') {
    let depth = 0;
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === '"') i = stringEnd(s, i) - 1;
      else if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && --depth === 0) return i + 1;
    }
    return i;
  }
  while (i < s.length && s[i] !== ',' && s[i] !== '}' && s[i] !== ']' && s[i] !== ' ' && s[i] !== '\t' && s[i] !== '\n' && s[i] !== '\r') i++;
  return i;
}
