import type { CliIO } from './io';
import type { FlagSpecs, ParsedFlags } from './options';

/** One `brook <group> <verb>` command. */
export interface AdminCommand {
  /** e.g. "topics create". */
  name: string;
  summary: string;
  /** Flags beyond the connection flags. */
  flags: FlagSpecs;
  /** Extra lines for --help: examples, defaults. */
  details?: string;
  run(flags: ParsedFlags, io: CliIO): Promise<void>;
}
