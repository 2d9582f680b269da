import { once } from 'node:events';
import * as readline from 'node:readline';
import { KafkaJSNonRetriableError, Partitioners, type ICustomPartitioner, type IHeaders, type Message } from 'kafkajs';
import { connect } from './client';
import type { AdminCommand } from './command';
import { CliError, toCliError, usageError } from './errors';
import { formatJson, ProgressLine, writeOut } from './io';
import { assignments, intValue, requiredValue } from './options';

/**
 * kafkajs's default partitioner, refusing an explicit partition the topic does not have: kafkajs itself
 * drops such messages without an error (no leader to send them to), so `--partition 7` of a 3-partition
 * topic used to report success. Kafka's producer refuses it the same way ("Invalid partition given with
 * record"). Checked against the producer's own metadata, so a topic auto-created by the send counts too.
 */
function checkedPartitioner(): ICustomPartitioner {
  return () => {
    const byKey = Partitioners.DefaultPartitioner();
    return (args) => {
      const wanted = args.message.partition;
      if (wanted !== undefined && wanted !== null && !args.partitionMetadata.some((p) => p.partitionId === wanted)) {
        const count = args.partitionMetadata.length;
        throw new KafkaJSNonRetriableError(`topic "${args.topic}" has no partition ${wanted} (it has ${count} partition${count === 1 ? '' : 's'}, numbered from 0); nothing was sent`);
      }
      return byKey(args);
    };
  };
}

/** Messages per produce request: big enough to amortize round trips, small enough to show progress. */
const BATCH_MESSAGES = 500;
const BATCH_BYTES = 512 * 1024;

const produce: AdminCommand = {
  name: 'produce',
  summary: 'send stdin lines to a topic, one message per line',
  details: 'Example: printf "k1:hello\\nk2:world\\n" | brook produce -t events --key-separator :',
  flags: {
    topic: { kind: 'value', alias: 't', help: 'topic to write to (created if the broker auto-creates)' },
    'key-separator': { kind: 'value', help: 'split each line at the first SEP into key and value' },
    header: { kind: 'list', help: 'header key=value added to every message' },
    partition: { kind: 'value', help: 'write every message to this partition (default: by key)' },
    acks: { kind: 'value', help: 'acks: -1 (all, default), 1 or 0' },
    progress: { kind: 'switch', help: 'show the progress line even when stderr is not a terminal' },
  },
  async run(flags, io) {
    const topic = requiredValue(flags, 'topic');
    const sep = flags.values.get('key-separator');
    if (sep === '') throw usageError('--key-separator must not be empty');
    const headers: IHeaders = {};
    for (const [k, v] of assignments(flags, 'header')) headers[k] = v;
    const hasHeaders = Object.keys(headers).length > 0;
    const partition = intValue(flags, 'partition', { min: 0 });
    const acks = intValue(flags, 'acks', { min: -1, max: 1 }) ?? -1;
    const conn = connect(flags, io);
    const producer = conn.kafka.producer({ allowAutoTopicCreation: true, createPartitioner: checkedPartitioner() });
    const progress = new ProgressLine(io, io.stderrIsTTY || flags.switches.has('progress'));
    let sent = 0;
    let lineNo = 0;
    let batch: Message[] = [];
    let batchBytes = 0;
    let failure: unknown = null;
    let badInput: CliError | null = null;
    let sending: Promise<void> = Promise.resolve();
    let unhook: (() => void) | undefined;
    try {
      await producer.connect();
      const lines = readline.createInterface({ input: io.stdin, crlfDelay: Infinity });
      const closed = once(lines, 'close');
      // Sends run one after another so messages keep their input order.
      const flush = (): Promise<void> => {
        if (batch.length === 0) return sending;
        const messages = batch;
        batch = [];
        batchBytes = 0;
        sending = sending.then(async () => {
          if (failure) return;
          try {
            await producer.send({ topic, acks, messages });
            sent += messages.length;
            progress.update(() => `produced ${sent} messages to ${topic}`);
          } catch (err) {
            failure = err;
            lines.close();
          }
        });
        return sending;
      };
      // Lines of one input chunk go out together; a person typing sees each line sent at once.
      let scheduled = false;
      lines.on('line', (line) => {
        if (failure || badInput) return;
        lineNo++;
        let key: string | null = null;
        let value = line;
        if (sep !== undefined) {
          const at = line.indexOf(sep);
          if (at < 0) {
            badInput = new CliError(`line ${lineNo} has no key separator "${sep}"; the lines before it were sent, the rest were not`);
            lines.close();
            return;
          }
          key = line.slice(0, at);
          value = line.slice(at + sep.length);
        }
        const m: Message = { key, value };
        if (hasHeaders) m.headers = headers;
        if (partition !== undefined) m.partition = partition;
        batch.push(m);
        batchBytes += line.length;
        if (batch.length >= BATCH_MESSAGES || batchBytes >= BATCH_BYTES) {
          lines.pause();
          void flush().then(() => lines.resume());
        } else if (!scheduled) {
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            void flush();
          });
        }
      });
      // Ctrl-C ends the input: what was read so far is still sent.
      unhook = io.onInterrupt?.(() => lines.close());
      await closed;
      await flush();
      if (failure) throw failure;
      if (badInput) throw badInput;
    } catch (err) {
      throw toCliError(err, conn.brokers);
    } finally {
      unhook?.();
      progress.done();
      await producer.disconnect().catch(() => undefined);
    }
    if (flags.switches.has('json')) await writeOut(io.stdout, formatJson({ topic, messages: sent }));
    else io.stderr.write(`Produced ${sent} message${sent === 1 ? '' : 's'} to ${topic}.\n`);
  },
};

export const produceCommands: AdminCommand[] = [produce];
