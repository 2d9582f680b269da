import { TAG_HEADERS } from '../../storage/tagIndex';
import { parseFilter, type Condition, type Operand } from './filterParser';
import { compareNumbers, Decimal, isNumberText, jsonFieldText } from './filterNumbers';
import { RecordFormatError, sameBytes, type RecordCursor } from './recordScan';

/** Headers a tag filter reads (first match wins), defined with the source's tag index that hashes the same one. */
export { TAG_HEADERS };
export const TAG_HEADER_BYTES: readonly Buffer[] = TAG_HEADERS.map((h) => Buffer.from(h));

/** A compiled view filter: decides per record, and for tag filters says which tags a batch must carry. */
export interface RecordFilter {
  /** The tags of a tag filter (null: SQL, or '*' which keeps everything). */
  readonly tags: readonly string[] | null;
  readonly all: boolean;
  matches(c: RecordCursor): boolean;
}

export class TagFilter implements RecordFilter {
  private readonly tagBytes: Buffer[];
  constructor(
    readonly tags: readonly string[],
    readonly all: boolean,
  ) {
    this.tagBytes = tags.map((t) => Buffer.from(t));
  }

  matches(c: RecordCursor): boolean {
    if (this.all) return true;
    const at = c.findHeader(TAG_HEADER_BYTES);
    return at >= 0 && this.matchesTag(c.buf, at, c.foundLen);
  }

  /** Whether the tag value at buf[at, at + len) is one of the filter's tags. */
  matchesTag(buf: Buffer, at: number, len: number): boolean {
    for (const t of this.tagBytes) if (t.length === len && sameBytes(buf, at, t)) return true;
    return false;
  }
}

/** A filter that failed on a record for a reason of its own (not the record's format): readers answer with the view's fault. */
export class FilterEvaluationError extends Error {
  constructor(readonly reason: unknown) {
    super(`filter evaluation failed: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

/** A JSON number is a double when that holds it exactly (a safe integer) or it has a fraction, else a Decimal. */
type Value = string | number | Decimal | boolean | null;
const NO_JSON = Symbol('no-json');

/** SQL92 subset with SQL's three-valued logic: null (unknown) never selects a record. */
class SqlFilter implements RecordFilter {
  readonly tags = null;
  readonly all = false;
  private json: unknown = NO_JSON;
  private jsonText = '';
  private cursor!: RecordCursor;
  private readonly headerBytes = new Map<string, Buffer[]>();

  constructor(private readonly condition: Condition) {}

  matches(c: RecordCursor): boolean {
    this.cursor = c;
    this.json = NO_JSON;
    try {
      return this.eval(this.condition) === true;
    } catch (err) {
      // a record that does not decode is the source's fault; anything else is the filter's, and must not read as one
      if (err instanceof RecordFormatError) throw err;
      throw new FilterEvaluationError(err);
    }
  }

  private eval(k: Condition): boolean | null {
    switch (k.kind) {
      // three-valued: one false term makes AND false (one true makes OR true), else one unknown makes it unknown
      case 'and': {
        let all: boolean | null = true;
        for (let i = 0; i < k.terms.length; i++) {
          const v = this.eval(k.terms[i]!);
          if (v === false) return false;
          if (v === null) all = null;
        }
        return all;
      }
      case 'or': {
        let any: boolean | null = false;
        for (let i = 0; i < k.terms.length; i++) {
          const v = this.eval(k.terms[i]!);
          if (v === true) return true;
          if (v === null) any = null;
        }
        return any;
      }
      case 'not': {
        const v = this.eval(k.inner);
        return v === null ? null : !v;
      }
      case 'compare':
        return compare(this.value(k.left), k.op, this.value(k.right), fromRecord(k.left, k.right));
      // BETWEEN and IN take literals only (the parser's rule)
      case 'between': {
        const v = this.value(k.operand);
        const lo = compare(v, '>=', this.value(k.low), false);
        const hi = compare(v, '<=', this.value(k.high), false);
        const inside = lo === null || hi === null ? null : lo && hi;
        return inside === null ? null : k.negated ? !inside : inside;
      }
      case 'in': {
        const v = this.value(k.operand);
        if (v === null) return null;
        const found = k.values.some((x) => compare(v, '=', this.value(x), false) === true);
        return k.negated ? !found : found;
      }
      case 'isNull': {
        const isNull = this.value(k.operand) === null;
        return k.negated ? !isNull : isNull;
      }
      case 'bool': {
        const v = this.value(k.operand);
        return v === null ? null : v === true || v === 'true';
      }
    }
  }

  private value(o: Operand): Value {
    const c = this.cursor;
    switch (o.kind) {
      case 'literal':
        return o.value;
      case 'key':
        return c.keyLen < 0 ? null : c.buf.toString('utf8', c.keyStart, c.keyStart + c.keyLen);
      case 'header': {
        let names = this.headerBytes.get(o.name);
        if (!names) this.headerBytes.set(o.name, (names = [Buffer.from(o.name)]));
        const at = c.findHeader(names);
        return at < 0 ? null : c.buf.toString('utf8', at, at + c.foundLen);
      }
      case 'field': {
        if (this.json === NO_JSON) this.parseValue(c);
        const j = this.json;
        if (j === null || typeof j !== 'object' || Array.isArray(j)) return null;
        const v = (j as Record<string, unknown>)[o.name];
        if (typeof v === 'number') return Number.isSafeInteger(v) || (Number.isFinite(v) && !Number.isInteger(v)) ? v : this.exactField(o.name, v);
        return typeof v === 'string' || typeof v === 'boolean' ? v : null;
      }
    }
  }

  private parseValue(c: RecordCursor): void {
    this.json = null;
    this.jsonText = '';
    if (c.valueLen <= 0) return;
    this.jsonText = c.buf.toString('utf8', c.valueStart, c.valueStart + c.valueLen);
    try {
      this.json = JSON.parse(this.jsonText);
    } catch {
      // not JSON: every value field is null
    }
  }

  /**
   * A JSON integer a double rounds (beyond 2^53, like 64-bit ids) or overflows: its digits from the value's text,
   * so it compares exactly. Rare, so the text is scanned again rather than every value parsed losslessly.
   */
  private exactField(name: string, rounded: number): Value {
    const text = jsonFieldText(this.jsonText, name);
    return text !== null && isNumberText(text) ? new Decimal(text) : rounded;
  }
}

function isNumber(v: Value): v is number | Decimal {
  return typeof v === 'number' || v instanceof Decimal;
}

/** Both sides read from the record (headers, key, value fields): their strings compare as numbers when both are. */
function fromRecord(a: Operand, b: Operand): boolean {
  return a.kind !== 'literal' && b.kind !== 'literal';
}

/**
 * Numbers compare numerically when either side is a number (a number literal or a JSON number; the other side must
 * be one or text in strict decimal syntax) or when two values of the record are both such text (headers are strings
 * on the wire: `n > m` with n=10, m=9 is true); a quoted literal keeps a comparison textual. Integers compare
 * exactly, a fraction or exponent makes it doubles (filterNumbers.ts). Strings compare by code point, booleans only
 * for (in)equality. Anything involving null, or values of unrelated types, is unknown.
 */
function compare(a: Value, op: string, b: Value, recordSides: boolean): boolean | null {
  if (a === null || b === null) return null;
  if (isNumber(a) || isNumber(b) || (recordSides && typeof a === 'string' && typeof b === 'string' && isNumberText(a) && isNumberText(b))) {
    if (typeof a === 'boolean' || typeof b === 'boolean') return null;
    const order = compareNumbers(a, b);
    return order === null ? null : ordered(order, op);
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    if (op !== '=' && op !== '<>') return null;
    return ordered(String(a) === String(b) ? 0 : 1, op);
  }
  return ordered(compareCodePoints(a as string, b as string), op);
}

function ordered(c: number, op: string): boolean {
  switch (op) {
    case '=':
      return c === 0;
    case '<>':
      return c !== 0;
    case '<':
      return c < 0;
    case '>':
      return c > 0;
    case '<=':
      return c <= 0;
    default:
      return c >= 0;
  }
}

/**
 * Code point order of two strings. JavaScript's `<` compares UTF-16 code units, which puts a character above
 * U+FFFF (a surrogate pair, 0xD800-0xDFFF) below U+E000-U+FFFF; moving the surrogates above that range fixes it.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

const compiled = new Map<string, RecordFilter>();

/** The filter for an expression (cached by text); throws FilterSyntaxError for a bad one. */
export function compileFilter(text: string): RecordFilter {
  let f = compiled.get(text);
  if (f) return f;
  const parsed = parseFilter(text);
  f = parsed.kind === 'tags' ? new TagFilter(parsed.tags, parsed.all) : new SqlFilter(parsed.condition);
  if (compiled.size > 1000) compiled.clear();
  compiled.set(text, f);
  return f;
}
