type Cell = 'pass' | 'FAIL' | 'n/a' | 'unavailable';

/** Collects the client × scenario outcomes; prints them as a table and writes docs/COMPATIBILITY.md. */
export class CompatMatrix {
  private readonly cells = new Map<string, Map<string, Cell>>();
  private readonly scenarios: string[] = [];
  private readonly notes = new Map<string, string>();
  private readonly cellNotes = new Map<string, Map<string, string>>();
  private readonly versions = new Map<string, string>();

  private set(client: string, scenario: string, cell: Cell): void {
    if (!this.scenarios.includes(scenario)) this.scenarios.push(scenario);
    let row = this.cells.get(client);
    if (!row) this.cells.set(client, (row = new Map()));
    row.set(scenario, cell);
  }

  /** Fixes the column order up front, whatever order the outcomes arrive in. */
  columns(scenarios: string[]): void {
    for (const sc of scenarios) if (!this.scenarios.includes(sc)) this.scenarios.push(sc);
  }

  version(client: string, version: string): void {
    this.versions.set(client, version);
  }

  pass(client: string, scenario: string): void {
    this.set(client, scenario, 'pass');
  }

  fail(client: string, scenario: string, why?: string): void {
    this.set(client, scenario, 'FAIL');
    if (why) this.note(client, scenario, why);
  }

  /** A scenario the client cannot run; `why` is shown beside the matrix. */
  notApplicable(client: string, scenario: string, why?: string): void {
    this.set(client, scenario, 'n/a');
    if (why) this.note(client, scenario, why);
  }

  unavailable(client: string, why: string): void {
    this.cells.set(client, new Map());
    this.notes.set(client, why);
  }

  /** A remark about a client that is no cell of its own (say, it carries no record headers at all). */
  remark(client: string, topic: string, why: string): void {
    this.note(client, topic, why);
  }

  private note(client: string, scenario: string, why: string): void {
    let row = this.cellNotes.get(client);
    if (!row) this.cellNotes.set(client, (row = new Map()));
    row.set(scenario, why.replace(/\s+/g, ' ').slice(0, 300));
  }

  private noteLines(): string[] {
    const out: string[] = [];
    for (const [client, row] of this.cellNotes) for (const [scenario, why] of row) out.push(`${client} / ${scenario}: ${why}`);
    return out;
  }

  render(): string {
    const clients = [...this.cells.keys()];
    const width = Math.max(8, ...clients.map((c) => c.length));
    const cols = this.scenarios.map((s) => Math.max(s.length, 6));
    const line = (first: string, rest: string[]) =>
      first.padEnd(width) + ' | ' + rest.map((r, i) => r.padEnd(cols[i])).join(' | ');
    const out = ['', 'Compatibility matrix (client × scenario):', line('client', this.scenarios)];
    out.push('-'.repeat(out[2].length));
    for (const c of clients) {
      const row = this.cells.get(c)!;
      if (this.notes.has(c)) out.push(`${c.padEnd(width)} | unavailable: ${this.notes.get(c)}`);
      else out.push(line(c, this.scenarios.map((s) => row.get(s) ?? '-')));
    }
    const notes = this.noteLines();
    if (notes.length) out.push('', 'Notes:', ...notes.map((n) => `  ${n}`));
    return out.join('\n');
  }

  /** The matrix as docs/COMPATIBILITY.md: one table of clients × scenarios, then why each n/a or failure. */
  markdown(meta: { date: string; command: string }): string {
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    const out = [
      '# Client compatibility',
      '',
      `Written by the compatibility suite (\`${meta.command}\`, test/compat); do not edit by hand. Last run: ${meta.date}.`,
      'Each cell is one scenario run by the real client against a Brook broker on loopback:',
      '`pass`, `FAIL`, `n/a` (the client cannot do it: see the notes), `-` (not run).',
      '',
      '| client | version | ' + this.scenarios.map(esc).join(' | ') + ' |',
      '| --- | --- | ' + this.scenarios.map(() => '---').join(' | ') + ' |',
    ];
    for (const [c, row] of this.cells) {
      const v = esc(this.versions.get(c) ?? '?');
      if (this.notes.has(c)) out.push(`| ${esc(c)} | ${v} | unavailable: ${esc(this.notes.get(c)!)} |`);
      else out.push(`| ${esc(c)} | ${v} | ` + this.scenarios.map((s) => row.get(s) ?? '-').join(' | ') + ' |');
    }
    const notes = this.noteLines();
    if (notes.length) out.push('', '## Notes', '', ...notes.map((n) => `- ${n}`));
    return out.join('\n') + '\n';
  }
}
