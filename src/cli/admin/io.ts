import type { Readable, Writable } from 'node:stream';

/** The process streams, injectable so tests run commands in-process. */
export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Progress lines go to stderr only when a person is watching (or --progress asks for them). */
  stderrIsTTY: boolean;
  /**
   * Calls `stop` on the first SIGINT so long-running commands (consume, produce)
   * finish cleanly; returns a function that removes the handler. Only those
   * commands install it, so Ctrl-C still kills anything else at once.
   */
  onInterrupt?(stop: () => void): () => void;
}

export function processIO(): CliIO {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
    onInterrupt(stop) {
      // `once`: a second Ctrl-C gets Node's default and ends the process.
      process.once('SIGINT', stop);
      return () => process.off('SIGINT', stop);
    },
  };
}

/** Writes and waits for the stream to accept it, so large outputs do not pile up in memory. */
export function writeOut(stream: Writable, text: string): Promise<void> | void {
  if (!stream.write(text)) return new Promise((resolve) => stream.once('drain', () => resolve()));
}

export type Cell = string | number | bigint | null | undefined;

/** Left-aligned columns sized to their widest cell, like `kafka-consumer-groups --describe`. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const text = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...text.map(line)].join('\n') + '\n';
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}

/**
 * One self-overwriting status line on stderr for long work. Rate-limited so
 * printing it costs nothing next to the work it reports on.
 */
export class ProgressLine {
  private lastAt = 0;
  private shown = false;

  constructor(
    private readonly io: CliIO,
    private readonly enabled: boolean,
    private readonly everyMs = 250,
  ) {}

  update(text: () => string, now = Date.now()): void {
    if (!this.enabled || now - this.lastAt < this.everyMs) return;
    this.lastAt = now;
    this.shown = true;
    this.io.stderr.write(`\r\x1b[K${text()}`);
  }

  done(): void {
    if (this.shown) this.io.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
