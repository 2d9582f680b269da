type Cell = 'pass' | 'FAIL' | 'n/a' | 'unavailable';

/** Collects the client × scenario outcomes and prints them as a table at the end of the suite. */
export class CompatMatrix {
  private readonly cells = new Map<string, Map<string, Cell>>();
  private readonly scenarios: string[] = [];
  private readonly notes = new Map<string, string>();

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

  pass(client: string, scenario: string): void {
    this.set(client, scenario, 'pass');
  }

  fail(client: string, scenario: string): void {
    this.set(client, scenario, 'FAIL');
  }

  notApplicable(client: string, scenario: string): void {
    this.set(client, scenario, 'n/a');
  }

  unavailable(client: string, why: string): void {
    this.cells.set(client, new Map());
    this.notes.set(client, why);
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
    return out.join('\n');
  }
}
