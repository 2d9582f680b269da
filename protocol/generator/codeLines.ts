/** Indented output lines and the small rewrites that keep generated expressions readable. */

export class Lines {
  readonly out: string[] = [];
  private depth = 0;
  line(text = ''): void {
    this.out.push(text === '' ? '' : '  '.repeat(this.depth) + text);
  }
  open(text: string): void {
    this.line(text);
    this.depth++;
  }
  close(text = '}'): void {
    this.depth--;
    this.line(text);
  }
  /** A line between two blocks, such as `} else {`. */
  mid(text: string): void {
    this.depth--;
    this.line(text);
    this.depth++;
  }
}

/** Drops parentheses that enclose a whole expression. */
export function unwrap(expr: string): string {
  if (!expr.startsWith('(') || !expr.endsWith(')')) return expr;
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    if (expr[i] === '(') depth++;
    else if (expr[i] === ')') depth--;
    if (depth === 0 && i < expr.length - 1) return expr;
  }
  return expr.slice(1, -1);
}

/**
 * `const v = X;` followed by one statement using `v` once becomes that
 * statement with X in place, so simple fields encode in one readable line.
 */
export function foldSingleUse(lines: string[]): string | undefined {
  if (lines.length !== 2) return undefined;
  const decl = /^const v = (.*);$/.exec(lines[0]);
  if (!decl || (lines[1].match(/\bv\b/g) ?? []).length !== 1) return undefined;
  return lines[1].replace(/\bv\b/, () => decl[1]);
}
