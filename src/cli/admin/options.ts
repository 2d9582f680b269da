import { usageError } from './errors';

/** How one flag is read: a switch, one value, or a value that may repeat. */
export type FlagKind = 'switch' | 'value' | 'list';

export interface FlagSpec {
  kind: FlagKind;
  /** Shown in help. */
  help: string;
  alias?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface ParsedFlags {
  switches: Set<string>;
  values: Map<string, string>;
  lists: Map<string, string[]>;
  positional: string[];
}

/** Parses `--name value`, `--name=value` and switches; unknown flags are usage errors so typos never pass silently. */
export function parseFlags(argv: readonly string[], specs: FlagSpecs): ParsedFlags {
  const out: ParsedFlags = { switches: new Set(), values: new Map(), lists: new Map(), positional: [] };
  const byAlias = new Map<string, string>();
  for (const [name, s] of Object.entries(specs)) if (s.alias) byAlias.set(s.alias, name);
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (!raw.startsWith('-') || raw === '-') {
      out.positional.push(raw);
      continue;
    }
    let name = raw.replace(/^--?/, '');
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq > 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    name = byAlias.get(name) ?? name;
    const spec = specs[name];
    if (!spec) throw usageError(`unknown option ${raw}`);
    if (spec.kind === 'switch') {
      if (inline !== undefined) throw usageError(`--${name} takes no value`);
      out.switches.add(name);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw usageError(`--${name} needs a value`);
      i++;
    }
    if (spec.kind === 'value') {
      if (out.values.has(name)) throw usageError(`--${name} given twice`);
      out.values.set(name, value);
    } else {
      const list = out.lists.get(name) ?? [];
      list.push(value);
      out.lists.set(name, list);
    }
  }
  return out;
}

export function intValue(flags: ParsedFlags, name: string, opts: { min?: number; max?: number } = {}): number | undefined {
  const v = flags.values.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n)) throw usageError(`--${name} must be an integer, got "${v}"`);
  if (opts.min !== undefined && n < opts.min) throw usageError(`--${name} must be at least ${opts.min}, got ${n}`);
  if (opts.max !== undefined && n > opts.max) throw usageError(`--${name} must be at most ${opts.max}, got ${n}`);
  return n;
}

export function requiredValue(flags: ParsedFlags, name: string): string {
  const v = flags.values.get(name);
  if (v === undefined || v === '') throw usageError(`--${name} is required`);
  return v;
}

/** `key=value` pairs from a repeatable flag, in order. */
export function assignments(flags: ParsedFlags, name: string): Array<[string, string]> {
  return (flags.lists.get(name) ?? []).map((a) => {
    const eq = a.indexOf('=');
    if (eq <= 0) throw usageError(`--${name} expects key=value, got "${a}"`);
    return [a.slice(0, eq), a.slice(eq + 1)];
  });
}

export function flagHelp(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `  --${name}${s.kind === 'switch' ? '' : ' VALUE'}${s.alias ? `, -${s.alias}` : ''}`;
    return `${left.padEnd(34)}${s.help}${s.kind === 'list' ? ' (repeatable)' : ''}`;
  });
  return rows.join('\n');
}
