import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually';

export const PYTHON = '/usr/bin/python3';

export interface MemberEvent {
  ev: 'started' | 'assigned' | 'revoked' | 'msg' | 'error' | 'closed';
  partitions?: number[];
  /** Cooperative rebalancing: the partitions are added to what is held, not a replacement. */
  incremental?: boolean;
  p?: number;
  o?: number;
  v?: string;
  error?: string;
}

/** A confluent-kafka group member in its own process, so a test can kill it like a crash. */
export class ProcessMember {
  readonly events: MemberEvent[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';
  exited = false;

  constructor(bootstrap: string, topic: string, group: string, sessionMs: number, instanceId?: string, strategy?: string) {
    const args = [join(__dirname, 'drivers', 'confluent_member.py'), bootstrap, topic, group, String(sessionMs)];
    if (instanceId || strategy) args.push(instanceId ?? '-');
    if (strategy) args.push(strategy);
    this.child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) this.events.push(JSON.parse(line) as MemberEvent);
      }
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.on('exit', () => (this.exited = true));
  }

  /** Partitions held now: assignments (replacing, or added when cooperative) minus revocations. */
  get assignment(): number[] {
    let held: number[] = [];
    for (const e of this.events) {
      if (e.ev === 'assigned') held = e.incremental ? [...new Set([...held, ...e.partitions!])].sort((a, b) => a - b) : e.partitions!;
      if (e.ev === 'revoked') held = held.filter((p) => !e.partitions!.includes(p));
    }
    return held;
  }

  get messages(): MemberEvent[] {
    return this.events.filter((e) => e.ev === 'msg');
  }

  count(ev: MemberEvent['ev']): number {
    return this.events.filter((e) => e.ev === ev).length;
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await eventually(() => this.exited, 'process exit', 10_000);
  }

  /** Clean stop: closes stdin, the member closes its consumer. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.stdin.end();
    await eventually(() => this.exited, 'clean exit', 30_000).catch(async (e) => {
      this.child.kill('SIGKILL');
      throw e;
    });
  }

  get log(): string {
    return this.stderr.slice(-2000);
  }
}
