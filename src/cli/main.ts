import { startBroker } from '../broker';
import { createLogger } from '../log';
import { parseArgs, USAGE } from './args';

/** The admin commands and their Kafka client library, loaded only when one runs (not by `brook start`). */
function admin(): typeof import('./admin') {
  return require('./admin') as typeof import('./admin');
}

/** After a completed shutdown, the process exits by itself or after this long. */
const EXIT_GRACE_MS = 1000;

/** `brook start ...`: runs a broker until SIGTERM/SIGINT, then shuts it down cleanly. */
export async function main(argv: string[]): Promise<void> {
  if (argv[0] !== undefined && argv[0] !== 'start' && admin().ADMIN_WORDS.has(argv[0])) {
    admin().tolerateOfflinePartitions();
    process.exitCode = await admin().runAdmin(argv);
    return;
  }
  let args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`brook: ${(err as Error).message}\n\n${USAGE}\n${admin().ADMIN_USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (args.command === 'help') {
    process.stdout.write(`${USAGE}\n${admin().ADMIN_USAGE}`);
    return;
  }
  const logger = createLogger('info');
  let broker: Awaited<ReturnType<typeof startBroker>>;
  try {
    broker = await startBroker({
      host: args.host,
      port: args.port,
      dataDir: args.dataDir,
      configFile: args.configFile,
      config: args.overrides,
      metricsPort: args.metricsPort,
      metricsHost: args.metricsHost,
      console: args.console,
      logger,
    });
  } catch (err) {
    // what the operator must fix (advertised.listeners, TLS files, a damaged state file, a port in use) as one
    // log line, exit 1; a stack only for what looks like a bug
    const e = err instanceof Error ? err : new Error(String(err));
    const bug = e instanceof TypeError || e instanceof ReferenceError || e instanceof RangeError;
    logger.error({ err: e.message, ...(bug ? { stack: e.stack } : {}) }, 'broker failed to start');
    process.exitCode = 1;
    setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
    return;
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal means the operator does not want to wait.
        logger.warn({ signal }, 'second signal, exiting without finishing shutdown');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'signal received');
      broker.close().then(resolve, (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  // Everything is saved by now. A call to an etcd that stopped answering can still hold the event loop open (its
  // connection stays up): a stopped broker must not linger because of it.
  setTimeout(() => {
    logger.warn({}, 'handles still open after shutdown; exiting');
    process.exit();
  }, EXIT_GRACE_MS).unref();
}
