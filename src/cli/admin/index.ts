import { CONNECTION_FLAGS } from './client';
import type { AdminCommand } from './command';
import { consumeCommands } from './consume';
import { CliError, ExitCode } from './errors';
import { groupCommands } from './groups';
import { processIO, type CliIO } from './io';
import { flagHelp, parseFlags } from './options';
import { produceCommands } from './produce';
import { userCommands } from './users';
import { topicCommands } from './topics';
export { tolerateOfflinePartitions } from './offlinePartitions';
import { aclCommands } from './acls';
import { quotaCommands } from './quotas';
import { clusterCommands } from './cluster';
import { reassignCommands } from './reassign';
import { brokerConfigCommands } from './brokerConfigs';
import { messageCommands } from './messages';
import { scheduledCommands } from './scheduled';

export const COMMANDS: AdminCommand[] = [...topicCommands, ...groupCommands, ...produceCommands, ...consumeCommands, ...aclCommands, ...quotaCommands, ...userCommands, ...clusterCommands, ...reassignCommands, ...brokerConfigCommands, ...messageCommands, ...scheduledCommands];

/** First words of the admin commands, so the `brook` entry point knows what to hand over. */
export const ADMIN_WORDS: ReadonlySet<string> = new Set(COMMANDS.map((c) => c.name.split(' ')[0]!));

export const ADMIN_USAGE = `Admin commands (talk the Kafka protocol to any broker, Brook or Kafka):
${COMMANDS.map((c) => `  brook ${c.name.padEnd(22)}${c.summary}`).join('\n')}

Run \`brook <command> --help\` for its options. Exit codes: 0 ok, 1 the broker refused or the
operation failed, 2 bad command line, 3 no broker reachable.
`;

function commandHelp(c: AdminCommand): string {
  return `Usage: brook ${c.name} [options]\n\n${c.summary}\n${c.details ? `\n${c.details}\n` : ''}\nOptions:\n${flagHelp(c.flags)}\n${flagHelp(c.commonFlags ?? CONNECTION_FLAGS)}\n`;
}

function findCommand(argv: readonly string[]): { command: AdminCommand; rest: string[] } | null {
  for (const c of COMMANDS) {
    const words = c.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command: c, rest: argv.slice(words.length) };
  }
  return null;
}

/** Runs one admin command; returns the process exit code. Never throws for user-facing failures. */
export async function runAdmin(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const found = findCommand(argv);
  if (!found) {
    const group = argv[0] ?? '';
    const verbs = COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.split(' ')[1]);
    const wanted = argv[1] && !argv[1].startsWith('-') ? `unknown command "${group} ${argv[1]}"` : `"${group}" needs a subcommand`;
    const hint = verbs.length > 0 ? `: one of ${verbs.join(', ')}` : '';
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(ADMIN_USAGE);
      return ExitCode.OK;
    }
    io.stderr.write(`brook: ${wanted}${hint}\n\n${ADMIN_USAGE}`);
    return ExitCode.USAGE;
  }
  const { command, rest } = found;
  try {
    const flags = parseFlags(rest, { ...(command.commonFlags ?? CONNECTION_FLAGS), ...command.flags });
    if (flags.switches.has('help')) {
      io.stdout.write(commandHelp(command));
      return ExitCode.OK;
    }
    if (flags.positional.length > 0) throw new CliError(`unexpected argument "${flags.positional[0]}"`, ExitCode.USAGE);
    await command.run(flags, io);
    return ExitCode.OK;
  } catch (err) {
    const e = err instanceof CliError ? err : new CliError(err instanceof Error ? err.message : String(err));
    io.stderr.write(`brook ${command.name}: ${e.message}\n`);
    if (e.exitCode === ExitCode.USAGE) io.stderr.write(`Run \`brook ${command.name} --help\` for usage.\n`);
    return e.exitCode;
  }
}
