/**
 * The exact source text of values inside a JSON document. JSON.parse turns
 * numbers into doubles, so `9007199254740993` comes back as ...992 and
 * `1.10` as `1.1`; JSON embedded data must reach Kafka byte for byte, so the
 * REST proxy takes its `data` from the request text instead. (Node 21's
 * JSON.parse reviver gets the source text too; Node 20 does not.) Every
 * function here assumes text that JSON.parse already accepted.
 */

/** [start, end) of a value in the text. */
export type Span = [number, number];

function skipWs(t: string, i: number): number {
  while (i < t.length) {
    const c = t.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

function skipString(t: string, i: number): number {
  for (i++; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i + 1;
  }
  return i;
}

/** The end of the value starting at i (after whitespace). */
function skipValue(t: string, i: number): number {
  const c = t.charCodeAt(i);
  if (c === 34) return skipString(t, i);
  if (c === 123 || c === 91) {
    let depth = 0;
    for (; i < t.length; i++) {
      const d = t.charCodeAt(i);
      if (d === 34) i = skipString(t, i) - 1;
      else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return i;
  }
  // a number, true, false or null: up to the next delimiter
  while (i < t.length && !/[\s,\]}]/.test(t[i]!)) i++;
  return i;
}

/** The span of the one value the text holds (without surrounding whitespace). */
export function valueSpan(t: string, from = 0, to = t.length): Span {
  const start = skipWs(t, from);
  return [start, Math.min(to, skipValue(t, start))];
}

/** The members of the object at span (name -> span of its value); empty when it is not an object. */
export function objectMembers(t: string, [start]: Span): Map<string, Span> {
  const out = new Map<string, Span>();
  if (t.charCodeAt(start) !== 123) return out;
  let i = skipWs(t, start + 1);
  while (i < t.length && t.charCodeAt(i) === 34) {
    const nameEnd = skipString(t, i);
    const name = JSON.parse(t.slice(i, nameEnd)) as string;
    i = skipWs(t, nameEnd) + 1; // past the colon
    const vStart = skipWs(t, i);
    const vEnd = skipValue(t, vStart);
    out.set(name, [vStart, vEnd]);
    i = skipWs(t, vEnd);
    if (t.charCodeAt(i) !== 44) break;
    i = skipWs(t, i + 1);
  }
  return out;
}

/** The spans of the elements of the array at span; empty when it is not an array. */
export function arrayElements(t: string, [start]: Span): Span[] {
  const out: Span[] = [];
  if (t.charCodeAt(start) !== 91) return out;
  let i = skipWs(t, start + 1);
  while (i < t.length && t.charCodeAt(i) !== 93) {
    const end = skipValue(t, i);
    out.push([i, end]);
    i = skipWs(t, end);
    if (t.charCodeAt(i) !== 44) break;
    i = skipWs(t, i + 1);
  }
  return out;
}

/** The source text of `field.data` (a v3 record's key or value) in the record object at span; undefined when absent. */
export function embeddedDataText(t: string, record: Span, field: 'key' | 'value'): string | undefined {
  const f = objectMembers(t, valueSpan(t, record[0], record[1])).get(field);
  if (!f) return undefined;
  const d = objectMembers(t, f).get('data');
  return d ? t.slice(d[0], d[1]) : undefined;
}

/** A JSON text to be written as it is (a json consumer's record bytes), not parsed and serialized again. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** `v` as JSON text: a RawJson verbatim, anything else through JSON.stringify. */
export function jsonText(v: unknown): string {
  return v instanceof RawJson ? v.text : JSON.stringify(v);
}
