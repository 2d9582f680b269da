/**
 * Parses a view's `brook.view.filter`: RocketMQ's tag syntax (`paid || refunded`, `*`) or a SQL92 subset
 * (RocketMQ's MessageSelector.bySql grammar) over headers, the key and top-level JSON value fields. Hand-written
 * recursive descent: the grammar is a dozen rules, and errors must carry the character position.
 */
import { Decimal } from './filterNumbers';

export type Operand =
  | { kind: 'header'; name: string }
  | { kind: 'key' }
  | { kind: 'field'; name: string }
  /** numbers keep their text (Decimal), so integers compare exactly */
  | { kind: 'literal'; value: string | boolean | Decimal };

export type Condition =
  /** n-ary: a chain of thousands of terms is a flat list, evaluated in a loop rather than a recursion per term */
  | { kind: 'and' | 'or'; terms: Condition[] }
  | { kind: 'not'; inner: Condition }
  | { kind: 'compare'; op: '=' | '<>' | '<' | '>' | '<=' | '>='; left: Operand; right: Operand }
  | { kind: 'between'; operand: Operand; low: Operand; high: Operand; negated: boolean }
  | { kind: 'in'; operand: Operand; values: Operand[]; negated: boolean }
  | { kind: 'isNull'; operand: Operand; negated: boolean }
  | { kind: 'bool'; operand: Operand };

export type ParsedFilter = { kind: 'tags'; all: boolean; tags: string[] } | { kind: 'sql'; condition: Condition; usesValue: boolean };

export class FilterSyntaxError extends Error {
  constructor(
    readonly position: number,
    readonly reason: string,
  ) {
    super(`${reason} at position ${position}`);
  }
}

/**
 * A keyword counts only as a word of its own: a tag is anything without blanks or '|', so `in-stock` or `not.paid`
 * are tags, not SQL.
 */
const SQL_HINT = /[=<>()'"!]|(?:^|[\s|])(and|or|not|is|in|between|null|true|false)(?=$|[\s|])/i;

/** Tag syntax when the text has no SQL operator or keyword, SQL otherwise. */
export function parseFilter(text: string): ParsedFilter {
  if (text.trim() === '') throw new FilterSyntaxError(0, 'empty filter');
  return SQL_HINT.test(text) ? parseSql(text) : parseTags(text);
}

function parseTags(text: string): ParsedFilter {
  const tags: string[] = [];
  let all = false;
  let pos = 0;
  for (const part of text.split('||')) {
    const tag = part.trim();
    if (tag === '') throw new FilterSyntaxError(pos + part.length - part.trimStart().length, "empty tag (expected a tag between '||')");
    if (/\s|\|/.test(tag)) throw new FilterSyntaxError(pos + part.indexOf(tag) + tag.search(/\s|\|/), `unexpected character in tag '${tag}' (separate tags with '||')`);
    if (tag === '*') all = true;
    else tags.push(tag);
    pos += part.length + 2;
  }
  return { kind: 'tags', all, tags };
}

type Token = { type: 'ident' | 'string' | 'number' | 'op' | 'punct' | 'end'; text: string; pos: number; value?: string };

/** A number starts with a digit, or '-' or '.' directly followed by one (`-.` alone is no number). */
const NUMBER_START = /^(?:\d|-\d|-?\.\d)/;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;

/**
 * Parentheses and NOTs nested deeper than this are refused: each level costs stack frames here and when the filter
 * is evaluated, and no real filter comes near it (RocketMQ's parser has no limit but its thread's stack).
 */
export const MAX_FILTER_NESTING = 100;

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IS', 'IN', 'BETWEEN', 'NULL', 'TRUE', 'FALSE']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterSyntaxError(start, 'unterminated string');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += text[i++];
      }
      out.push({ type: 'string', text: text.slice(start, i), pos: start, value: s });
    } else if (NUMBER_START.test(text.slice(i, i + 3))) {
      const m = NUMBER.exec(text.slice(i));
      // NUMBER_START guarantees a match; a parser slip must still be a refusal with a position, not a crash
      if (!m) throw new FilterSyntaxError(start, 'malformed number');
      i += m[0].length;
      out.push({ type: 'number', text: m[0], pos: start });
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$.\-]*/.exec(text.slice(i))!;
      i += m[0].length;
      out.push({ type: 'ident', text: m[0], pos: start });
    } else if (c === '"') {
      // a quoted identifier, for header names with characters identifiers cannot hold
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new FilterSyntaxError(start, 'unterminated quoted name');
      i = end + 1;
      out.push({ type: 'ident', text: text.slice(start + 1, end), pos: start, value: 'quoted' });
    } else if (c === '<' || c === '>' || c === '=' || c === '!') {
      const two = text.slice(i, i + 2);
      const op = two === '<>' || two === '<=' || two === '>=' || two === '!=' ? two : c;
      if (op === '!') throw new FilterSyntaxError(start, "unexpected '!' (use <> or NOT)");
      i += op.length;
      out.push({ type: 'op', text: op === '!=' ? '<>' : op, pos: start });
    } else if (c === '(' || c === ')' || c === ',') {
      i++;
      out.push({ type: 'punct', text: c, pos: start });
    } else {
      throw new FilterSyntaxError(start, `unexpected character '${c}'`);
    }
  }
  out.push({ type: 'end', text: '', pos: text.length });
  return out;
}

class SqlParser {
  private i = 0;
  /** Parentheses and NOTs open around the current token. */
  private depth = 0;
  usesValue = false;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.type === 'ident' && t.value !== 'quoted' && t.text.toUpperCase() === word;
  }

  private takeKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.i++;
    return true;
  }

  private fail(expected: string): never {
    const t = this.peek();
    throw new FilterSyntaxError(t.pos, t.type === 'end' ? `expected ${expected} but the filter ends` : `expected ${expected}, found '${t.text}'`);
  }

  private expectPunct(p: string): void {
    const t = this.peek();
    if (t.type !== 'punct' || t.text !== p) this.fail(`'${p}'`);
    this.i++;
  }

  parse(): Condition {
    const c = this.or();
    if (this.peek().type !== 'end') this.fail('AND, OR or the end of the filter');
    return c;
  }

  private or(): Condition {
    const terms = [this.and()];
    while (this.takeKeyword('OR')) terms.push(this.and());
    return junction('or', terms);
  }

  private and(): Condition {
    const terms = [this.not()];
    while (this.takeKeyword('AND')) terms.push(this.not());
    return junction('and', terms);
  }

  private not(): Condition {
    if (this.isKeyword('NOT')) {
      this.enter();
      const inner = this.not();
      this.depth--;
      return { kind: 'not', inner };
    }
    return this.predicate();
  }

  /** Takes a '(' or NOT, refusing it past MAX_FILTER_NESTING levels. */
  private enter(): void {
    if (this.depth >= MAX_FILTER_NESTING) throw new FilterSyntaxError(this.peek().pos, `nested deeper than ${MAX_FILTER_NESTING} levels of parentheses and NOT`);
    this.depth++;
    this.i++;
  }

  private predicate(): Condition {
    const t = this.peek();
    if (t.type === 'punct' && t.text === '(') {
      this.enter();
      const inner = this.or();
      this.expectPunct(')');
      this.depth--;
      return inner;
    }
    const left = this.operand();
    const next = this.peek();
    if (next.type === 'op') {
      this.i++;
      return { kind: 'compare', op: next.text as '=' | '<>' | '<' | '>' | '<=' | '>=', left, right: this.operand() };
    }
    if (this.takeKeyword('IS')) {
      const negated = this.takeKeyword('NOT');
      if (!this.takeKeyword('NULL')) this.fail('NULL');
      return { kind: 'isNull', operand: left, negated };
    }
    const negated = this.takeKeyword('NOT');
    if (this.takeKeyword('BETWEEN')) {
      const low = this.literal();
      if (!this.takeKeyword('AND')) this.fail('AND');
      return { kind: 'between', operand: left, low, high: this.literal(), negated };
    }
    if (this.takeKeyword('IN')) {
      this.expectPunct('(');
      const values = [this.literal()];
      while (this.peek().type === 'punct' && this.peek().text === ',') {
        this.i++;
        values.push(this.literal());
      }
      this.expectPunct(')');
      return { kind: 'in', operand: left, values, negated };
    }
    if (negated) this.fail('BETWEEN or IN');
    if (left.kind === 'literal' && typeof left.value === 'boolean') return { kind: 'bool', operand: left };
    return this.fail('a comparison (=, <>, <, >, <=, >=, BETWEEN, IN, IS NULL)');
  }

  private literal(): Operand {
    const t = this.peek();
    if (t.type === 'string' || t.type === 'number') {
      this.i++;
      return { kind: 'literal', value: t.type === 'number' ? new Decimal(t.text) : t.value! };
    }
    if (this.takeKeyword('TRUE')) return { kind: 'literal', value: true };
    if (this.takeKeyword('FALSE')) return { kind: 'literal', value: false };
    return this.fail('a number or a quoted string');
  }

  private operand(): Operand {
    const t = this.peek();
    if (t.type === 'string' || t.type === 'number' || this.isKeyword('TRUE') || this.isKeyword('FALSE')) return this.literal();
    if (t.type !== 'ident' || (t.value !== 'quoted' && KEYWORDS.has(t.text.toUpperCase()))) return this.fail('a header, key, value.<field> or a literal');
    this.i++;
    if (t.value === 'quoted') return { kind: 'header', name: t.text };
    const lower = t.text.toLowerCase();
    if (lower === 'key') return { kind: 'key' };
    if (lower.startsWith('value.') && t.text.length > 6) {
      this.usesValue = true;
      return { kind: 'field', name: t.text.slice(6) };
    }
    if (lower.startsWith('header.') && t.text.length > 7) return { kind: 'header', name: t.text.slice(7) };
    return { kind: 'header', name: t.text };
  }
}

/**
 * One AND / OR node over the terms; a parenthesized term of the same kind is merged in, as (a OR b) OR c is a OR b OR c.
 * So a condition's depth grows only with parentheses and NOT, which MAX_FILTER_NESTING bounds: evaluation recurses
 * a bounded depth however long the filter is.
 */
function junction(kind: 'and' | 'or', terms: Condition[]): Condition {
  if (terms.length === 1) return terms[0]!;
  return { kind, terms: terms.flatMap((t) => (t.kind === kind ? t.terms : [t])) };
}

function parseSql(text: string): ParsedFilter {
  const parser = new SqlParser(tokenize(text));
  const condition = parser.parse();
  return { kind: 'sql', condition, usesValue: parser.usesValue };
}
