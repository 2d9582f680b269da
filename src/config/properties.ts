/** Parses Java-style `key=value` properties text (comments with # or !, `key: value` also accepted). */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) throw new Error(`cannot parse property line: ${rawLine}`);
    out[m[1]] = m[2].trim();
  }
  return out;
}

/** `key=value` from a `--set` flag. */
export function parseAssignment(s: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new Error(`expected key=value, got ${s}`);
  return [s.slice(0, i).trim(), s.slice(i + 1).trim()];
}
