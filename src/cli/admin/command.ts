import type { CliIO } from './io';
import type { FlagSpecs, ParsedFlags } from './options';

/** One `brook <group> <verb>` command. */
export interface AdminCommand {
  /** e.g. "topics create". */
  name: string;
  summary: string;
  /** Flags beyond the connection flags. */
  flags: FlagSpecs;
  /**
   * Flags that replace CONNECTION_FLAGS for a command that does not connect to a broker over the Kafka protocol
   * (`messages find|trace` ask the HTTP port), so --help lists only flags the command uses.
   */
  commonFlags?: FlagSpecs;
  /** Extra lines for --help: examples, defaults. */
  details?: string;
  run(flags: ParsedFlags, io: CliIO): Promise<void>;
}
