/** Parses Java-style `key=value` properties text (comments with # or !, `key: value` also accepted). */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of joinContinuations(text.split(/\r?\n/))) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) throw new Error(`cannot parse property line: ${rawLine}`);
    out[m[1]] = m[2].trim();
  }
  return out;
}

/**
 * Java properties continue a line that ends in an odd number of backslashes
 * (long values such as `sasl.jaas.config` are usually written that way).
 */
function joinContinuations(lines: string[]): string[] {
  const out: string[] = [];
  let acc: string | null = null;
  for (const line of lines) {
    const part: string = acc === null ? line : line.trimStart();
    const trailing = /\\+$/.exec(part)?.[0].length ?? 0;
    const isComment = acc === null && /^\s*[#!]/.test(part);
    if (trailing % 2 === 1 && !isComment) {
      acc = (acc ?? '') + part.slice(0, -1);
      continue;
    }
    out.push((acc ?? '') + part);
    acc = null;
  }
  if (acc !== null) out.push(acc);
  return out;
}

/** `key=value` from a `--set` flag. */
export function parseAssignment(s: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new Error(`expected key=value, got ${s}`);
  return [s.slice(0, i).trim(), s.slice(i + 1).trim()];
}
