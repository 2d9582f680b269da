import type { RecordHeader, RecordInput } from '../../protocol/records';
import type { JournalRecord } from './replayScan';
import { ErrorCode } from '../../protocol/errors';
import type { BrokerServices } from '../handlers/types';
import type { Logger } from '../log';
import type { TopicInfo } from '../metadata/types';
import type { Acks } from '../replication/partitionWriter';
import type { ClusterLink } from './clusterLink';
import { Targets, type Target } from './targets';
import { isView } from '../views/viewTopics';
import type { CancelRequest } from './intake';
import { Header, headerText } from './policy';
import { CancelReason, decodeScheduleKey, encodeCancelled, encodeDelivered, encodeIntent, encodeProduced, encodeSequenced, encodeTxnHold, Kind, keyHash, type CancelReasonValue, type ProducerTag, type ScheduleMeta } from './records';
import { ProducerRecords } from './producerRecords';
import { onMarkerAppended } from '../txn/markers';
import { repairSequences, type RepairHost } from './sequenceRepair';
import { SCHEDULED_PARTITION, ScheduleLog } from './scheduleLog';
import { isReservedInternalTopic, SCHEDULED_TOPIC as SCHEDULED_TOPIC_NAME } from '../internalTopics/names';
import { TimerIndex } from './timerIndex';
import { buildMoveBatch, movedRecord } from './moveBatch';
import { Settler, type Intent } from './settler';
import { FastHistogram } from '../metrics/customMetric';



export interface PendingView {
  offset: number;
  due: number;
  scheduledAt: number;
  topic: string;
  partition: number;
  key: Buffer | null;
  scheduleId: string | null;
}

const ROUND_MAX = 2000;
const RETRY_BACKOFF_MS = 1000;
const TRIM_EVERY_MS = 10_000;
const REPAIR_EVERY_MS = 1000;
/**
 * Longest timer set: Node turns a delay over 2^31-1 ms (24.8 days, below the 30-day maximum delay) into 1 ms, and
 * due times are wall-clock instants, so a far schedule is looked at again each minute (a round with nothing due).
 */
const MAX_TIMER_MS = 60_000;

export type ScheduleResult = { errorCode: 0 } | { errorCode: number; message: string | null };

/**
 * The scheduler: owns `__brook_scheduled`, delivers what falls due into its target partition.
 *
 * State changes only by replaying journal records (`apply`), at load and after each acknowledged write:
 * SCHEDULE adds a pending entry, CANCELLED and DELIVERED resolve entries, INTENT records a round in flight.
 *
 * Exactly once across kill -9: a round (1) writes an INTENT per target partition naming the schedules and
 * the target's log end before the append, (2) appends them to the target, each with a
 * `brook-scheduled-offset` header, through the PartitionWriter (acks=all), (3) writes DELIVERED. A crash
 * between (1) and (3) leaves an INTENT without its DELIVERED: at the next load the target partition is read
 * from the INTENT's log end onward, and exactly the schedules whose header is found there are marked
 * delivered; the others stay pending and go out again. Nothing is appended to a target without an INTENT
 * before it, so that bounded read sees every copy there can be. A round whose append failed or timed out,
 * or whose DELIVERED was not written, leaves its INTENT open and its schedules held (neither pending in the
 * heap nor cancellable): they go out again only after that same read settled the intent, retried in the
 * background until the target can be read (a new leader elected, its high watermark up to its log end).
 */
export class Scheduler {
  readonly index = new TimerIndex();
  readonly log: ScheduleLog;
  private readonly intents = new Map<number, Intent>();
  /** Taken by the current round or held by an open intent (not in the heap, still pending). */
  private readonly inflight = new Set<number>();
  /** Schedules of an INTENT written at run time and not settled yet, with what puts them back in the heap. */
  private readonly held = new Map<number, { due: number; hash: number; topic: number }>();
  /** Named by a cancel being written: a round must not take them meanwhile. */
  private readonly cancelling = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private running = false;
  private stopped = false;
  private lastTrim = 0;
  /** Target topic names by the number the index keeps per entry. */
  private readonly topicNames: string[] = [];
  private readonly topicNumbers = new Map<string, number>();
  /** Schedules delivered since start, per target topic (metrics: its rate is "due per second"). */
  readonly deliveredTotal = new Map<string, number>();
  /** Seconds from due time to the append into the target (brook_scheduled_delivery_lateness_seconds). */
  readonly lateness = new FastHistogram([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);

  private readonly targets: Targets;
  /** Idempotent producers' sequences not yet in their partition, transactional producers' held schedules. */
  readonly producers: ProducerRecords;
  private repairTimer: NodeJS.Timeout | null = null;
  private unsubscribe: () => void = () => undefined;
  private readonly settler: Settler;

  /** `link`: cluster mode, where a target partition may be led by another broker. */
  constructor(private readonly services: BrokerServices, private readonly logger: Logger, writeTimeoutMs: number, private readonly now: () => number = Date.now, link: ClusterLink | null = null) {
    this.log = new ScheduleLog(services, writeTimeoutMs);
    this.targets = new Targets(services, link, logger);
    this.producers = new ProducerRecords(this.index, () => this.now());
    const [journal, apply, topic] = [(r: RecordInput[]) => this.log.appendJournal(r), this.apply.bind(this), (n: string) => services.metadata.topic(n)];
    this.repairHost = { sequences: this.producers.sequences, targets: this.targets, journal, apply, topic, logger, now: () => this.now(), active: () => !this.stopped };
    const host = { intent: (o: number) => this.intents.get(o), journal: (r: RecordInput[]) => this.log.appendJournal(r), apply: this.apply.bind(this), topic: (n: string) => services.metadata.topic(n), active: () => !this.stopped, idle: () => this.arm() };
    this.settler = new Settler(host, this.targets, logger);
  }
  private readonly repairHost: RepairHost;

  get ready(): boolean {
    return this.loaded && !this.stopped;
  }
  private loaded = false;

  /** Replays the journal, settles the rounds a crash cut short, then starts delivering. */
  async start(): Promise<void> {
    // markers appended from now on reach the holds at once; those already in the log come with the replay
    this.unsubscribe = onMarkerAppended(this.services, (topic, partition, pid, epoch, commit) => topic === SCHEDULED_TOPIC_NAME && partition === SCHEDULED_PARTITION && this.marker(pid, epoch, commit));
    if (this.services.metadata.topic('__brook_scheduled')) {
      const log = await this.log.open();
      this.index.reset(log.logStartOffset);
      await this.log.replay(
        (offset, due, hash, topic) => this.addSchedule(offset, due, hash, this.topicNumber(topic)),
        (offset, r) => this.apply(offset, r),
        (_offset, pid, epoch, commit) => this.marker(pid, epoch, commit),
      );
      for (const [intentOffset, intent] of [...this.intents]) await this.settler.settle(intentOffset, intent);
      await repairSequences(this.repairHost, 0);
    }
    this.recordDropped();
    this.repairTimer = setInterval(() => void repairSequences(this.repairHost), REPAIR_EVERY_MS);
    this.repairTimer.unref();
    this.logger.info({ pending: this.index.pending }, 'scheduled delivery loaded');
    this.loaded = true;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.repairTimer) clearInterval(this.repairTimer);
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  get pending(): number {
    return this.index.pending;
  }

  private topicNumber(name: string): number {
    let n = this.topicNumbers.get(name);
    if (n === undefined) {
      n = this.topicNames.length;
      this.topicNames.push(name);
      this.topicNumbers.set(name, n);
    }
    return n;
  }

  /** Pending schedules per target topic, from the index alone (console, metrics). */
  pendingByTopic(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [n, count] of this.index.countByTopic()) out.set(this.topicNames[n]!, count);
    return out;
  }

  /** The one place state changes (besides SCHEDULE entries, added straight to the index). */
  private apply(offset: number, r: Parameters<Parameters<ScheduleLog['replay']>[1]>[1]): void {
    switch (r.kind) {
      case Kind.INTENT:
        this.intents.set(offset, { topic: r.topic, partition: r.partition, targetLogEnd: r.targetLogEnd, offsets: r.offsets });
        break;
      case Kind.DELIVERED: {
        for (const o of r.offsets) this.index.resolve(o);
        const intent = this.intents.get(r.intentOffset);
        this.intents.delete(r.intentOffset);
        this.settler.done(r.intentOffset);
        // what the round held and the target does not have goes back to the heap (at load nothing is held)
        if (intent) for (const o of intent.offsets) this.release(o);
        break;
      }
      case Kind.CANCELLED:
        for (const o of r.offsets) this.index.resolve(o);
        break;
      case Kind.SCHEDULE:
        this.addSchedule(offset, r.meta.due, r.meta.keyHash, this.topicNumber(r.meta.topic));
        break;
      default:
        this.producers.apply(offset, r);
    }
  }

  private addSchedule(offset: number, due: number, hash: number, topic: number): void {
    if (!this.producers.hold(offset, due, hash, topic)) this.index.add(offset, due, hash, topic);
  }

  /** A transaction `__brook_scheduled` took part in ended (its marker is in the log). */
  private marker(producerId: bigint, epoch: number, commit: boolean): void {
    if (this.producers.marker(producerId, epoch, commit) > 0) this.arm();
    if (this.loaded) this.recordDropped();
  }

  /** The state follows the markers; a CANCELLED record tells readers of the journal (the CLI) about aborted ones. */
  private recordDropped(): void {
    const dropped = this.producers.takeDropped();
    if (dropped.length > 0) void this.log.appendJournal([encodeCancelled(CancelReason.ABORTED, dropped)]).catch((err: Error) => this.logger.warn({ err: err.message }, 'recording aborted schedules failed'));
  }

  private release(o: number): void {
    const h = this.held.get(o);
    if (!h) return;
    this.held.delete(o);
    this.inflight.delete(o);
    this.index.requeue(o, this.now() + RETRY_BACKOFF_MS, h.hash, h.topic);
  }

  /**
   * A produce's schedules and cancels, written as one batch under the producer's acks. A cancel that
   * matches no pending schedule refuses the whole batch (INVALID_RECORD), and nothing is written.
   * `tag`: an idempotent producer's batch; one this scheduler already holds is a duplicate (nothing written).
   */
  async schedule(schedules: RecordInput[], cancels: CancelRequest[], acks: Acks, timeoutMs: number, tag: ProducerTag | null = null): Promise<ScheduleResult> {
    return tag ? this.producers.once(tag, () => this.scheduleOnce(schedules, cancels, acks, timeoutMs, tag)) : this.scheduleOnce(schedules, cancels, acks, timeoutMs, null);
  }

  /** Tells the ledger the tag's sequences are in their partition (the produce appended them). */
  async sequenced(tag: ProducerTag): Promise<void> {
    const e = this.producers.sequences.get(tag);
    if (!e || this.stopped) return;
    const at = await this.log.appendJournal([encodeSequenced(e.producedOffset)]);
    this.apply(at, { kind: Kind.SEQUENCED, producedOffset: e.producedOffset });
  }

  private async scheduleOnce(schedules: RecordInput[], cancels: CancelRequest[], acks: Acks, timeoutMs: number, tag: ProducerTag | null): Promise<ScheduleResult> {
    const now = this.now();
    const cancelled: number[] = [];
    for (const c of cancels) {
      const found = await this.findPending(c);
      if (found.length === 0) {
        if (c.offset !== null) return { errorCode: ErrorCode.INVALID_RECORD, message: `no pending scheduled record of ${c.topic} at ${SCHEDULED_TOPIC_NAME} offset ${c.offset}` };
        return { errorCode: ErrorCode.INVALID_RECORD, message: `no pending scheduled record in ${c.topic} with key ${c.key === null ? 'null' : JSON.stringify(c.key.toString())}${c.scheduleId ? ` and ${Header.SCHEDULE_ID} ${c.scheduleId}` : ''}` };
      }
      cancelled.push(...found);
    }
    // a transaction's schedules are held until its marker: TXN_HOLD first, so a replay knows before it sees them
    const first = tag?.transactional ? 1 : 0;
    const records = [...(first ? [encodeTxnHold(tag!.producerId, tag!.epoch, schedules.length)] : []), ...schedules];
    if (cancelled.length > 0) records.push(encodeCancelled(CancelReason.REQUESTED, cancelled));
    const before = records.length;
    if (tag) records.push(encodeProduced(tag, before));
    for (const o of cancelled) this.cancelling.add(o);
    try {
      const out = await this.log.appendForProducer(records, acks, timeoutMs, now);
      if (out.errorCode !== 0 || !('baseOffset' in out)) return { errorCode: out.errorCode, message: 'message' in out ? out.message : null };
      if (!out.duplicate) {
        if (first) this.apply(out.baseOffset, { kind: Kind.TXN_HOLD, producerId: tag!.producerId, epoch: tag!.epoch, count: schedules.length });
        schedules.forEach((s, i) => this.apply(out.baseOffset + first + i, { kind: Kind.SCHEDULE, meta: decodeScheduleKey(s.key as Buffer)! }));
        if (cancelled.length > 0) this.apply(out.baseOffset + first + schedules.length, { kind: Kind.CANCELLED, reason: CancelReason.REQUESTED, offsets: Float64Array.from(cancelled) });
        if (tag) this.apply(out.baseOffset + before, { kind: Kind.PRODUCED, tag, before });
      }
      this.arm();
      return { errorCode: 0 };
    } finally {
      for (const o of cancelled) this.cancelling.delete(o);
    }
  }

  /** Cancels one pending schedule by its offset (the CLI's id); false when it is not pending. */
  async cancelOffset(offset: number, reason: CancelReasonValue = CancelReason.REQUESTED): Promise<boolean> {
    if (this.index.isResolved(offset) || this.producers.holds.has(offset) || this.inflight.has(offset) || this.cancelling.has(offset)) return false;
    const found = await this.log.readAt([offset]);
    if (!found.get(offset)?.key || found.get(offset)!.key![0] !== Kind.SCHEDULE) return false;
    this.cancelling.add(offset);
    try {
      const at = await this.log.appendJournal([encodeCancelled(reason, [offset])]);
      this.apply(at, { kind: Kind.CANCELLED, reason, offsets: Float64Array.of(offset) });
      return true;
    } finally {
      this.cancelling.delete(offset);
    }
  }

  /** Pending schedules of `c.topic` with the same key (and `brook-schedule-id`, when given). */
  private async findPending(c: CancelRequest): Promise<number[]> {
    if (c.offset !== null) {
      if (this.index.isResolved(c.offset) || this.producers.holds.has(c.offset) || this.inflight.has(c.offset) || this.cancelling.has(c.offset)) return [];
      const r = (await this.log.readAt([c.offset])).get(c.offset);
      const meta = r?.key ? decodeScheduleKey(r.key) : null;
      return meta && meta.topic === c.topic ? [c.offset] : [];
    }
    const candidates = this.index.withHash(keyHash(c.topic, c.key)).filter((o) => !this.cancelling.has(o)).sort((a, b) => a - b);
    if (candidates.length === 0) return [];
    const records = await this.log.readAt(candidates);
    const out: number[] = [];
    for (const [o, r] of records) {
      const meta = r.key ? decodeScheduleKey(r.key) : null;
      if (!meta || meta.topic !== c.topic || !sameKey(meta.key, c.key)) continue;
      if (c.scheduleId !== null && headerValue(r.headers, Header.SCHEDULE_ID) !== c.scheduleId) continue;
      out.push(o);
    }
    return out;
  }

  /** The `max` earliest pending schedules (console), earliest first. */
  async list(max: number): Promise<PendingView[]> {
    const first = this.index.earliest(max);
    const recs = await this.log.readAt(first.map((s) => s.offset).sort((a, b) => a - b));
    const out: PendingView[] = [];
    for (const s of first) {
      const r = recs.get(s.offset);
      const meta = r?.key ? decodeScheduleKey(r.key) : null;
      if (r && meta) out.push(view(s.offset, meta, r));
    }
    return out;
  }

  async describe(offset: number): Promise<(PendingView & { value: Buffer | null; headers: RecordHeader[] }) | null> {
    if (this.index.isResolved(offset)) return null;
    const r = (await this.log.readAt([offset])).get(offset);
    const meta = r?.key ? decodeScheduleKey(r.key) : null;
    return r && meta ? { ...view(offset, meta, r), value: r.value, headers: r.headers } : null;
  }

  /** (Re)sets the timer to the earliest due schedule. */
  private arm(): void {
    // Not during start(): a marker or a settle met in the replay would start a round before the journal's later
    // DELIVERED records were replayed, and deliver again what was delivered before the restart.
    if (this.stopped || this.running || !this.loaded) return;
    const next = this.index.nextDue();
    if (next === Infinity) return;
    if (this.timer && next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.runRounds();
    }, Math.min(Math.max(0, next - this.now()), MAX_TIMER_MS));
  }

  private async runRounds(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      while (!this.stopped && (await this.round()) > 0);
      await this.maybeTrim();
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'scheduled delivery round failed');
    } finally {
      this.running = false;
      this.arm();
    }
  }

  /** One delivery round; returns how many schedules it took. */
  private async round(): Promise<number> {
    const now = this.now();
    const taken = this.index.takeDue(now, ROUND_MAX);
    if (taken.offsets.length === 0) return 0;
    const dueOf = new Map<number, { due: number; hash: number; topic: number }>();
    const offsets: number[] = [];
    taken.offsets.forEach((o, i) => {
      if (this.cancelling.has(o)) this.index.requeue(o, now + 10, taken.hashes[i]!, taken.topics[i]!);
      else {
        dueOf.set(o, { due: taken.dues[i]!, hash: taken.hashes[i]!, topic: taken.topics[i]! });
        offsets.push(o);
        this.inflight.add(o);
      }
    });
    try {
      await this.deliver(offsets, dueOf);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'scheduled delivery round failed; retrying');
    } finally {
      // no INTENT names them (it was not written): nothing was appended, they go back; held ones wait for a settle
      for (const o of offsets) {
        if (this.held.has(o)) continue;
        this.inflight.delete(o);
        if (!this.index.isResolved(o)) this.index.requeue(o, now + RETRY_BACKOFF_MS, dueOf.get(o)!.hash, dueOf.get(o)!.topic);
      }
    }
    return taken.offsets.length;
  }

  private async deliver(offsets: number[], dueOf: Map<number, { due: number; hash: number; topic: number }>): Promise<void> {
    const sorted = [...offsets].sort((a, b) => a - b);
    const records = await this.log.readAt(sorted);
    // group by target, each group in due order (then production order)
    const groups = new Map<string, { topic: string; partition: number; items: Array<{ offset: number; rec: JournalRecord; meta: ScheduleMeta }> }>();
    for (const o of offsets) {
      const rec = records.get(o);
      const meta = rec?.key ? decodeScheduleKey(rec.key) : null;
      if (!rec || !meta) {
        this.index.resolve(o); // not a schedule (cannot happen unless the log was tampered with)
        continue;
      }
      const id = `${meta.partition}\u0000${meta.topic}`;
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { topic: meta.topic, partition: meta.partition, items: [] }));
      g.items.push({ offset: o, rec, meta });
    }
    const targets: Array<Target & { items: Array<{ offset: number; rec: JournalRecord; meta: ScheduleMeta }>; end: number }> = [];
    const gone: number[] = [];
    for (const g of groups.values()) {
      const topic = this.services.metadata.topic(g.topic) ?? (await this.ensureDeadLetter(g.topic, g.items[0]!.rec));
      // an internal topic is never a target (a schedule naming one predates the config check that refuses it)
      if (!topic || topic.internal || isReservedInternalTopic(g.topic) || isView(topic) || g.partition >= topic.partitions) {
        gone.push(...g.items.map((x) => x.offset));
        continue;
      }
      const target = await this.targets.open(topic, g.partition);
      targets.push({ ...target, items: g.items, end: await this.targets.end(target) });
    }
    if (gone.length > 0) {
      const at = await this.log.appendJournal([encodeCancelled(CancelReason.TOPIC_GONE, gone)]);
      this.apply(at, { kind: Kind.CANCELLED, reason: CancelReason.TOPIC_GONE, offsets: Float64Array.from(gone) });
      this.logger.warn({ count: gone.length }, 'scheduled records dropped: their target topic or partition no longer exists, or is an internal topic or a filtered view');
    }
    if (targets.length === 0) return;
    // (1) intents, one journal write for the whole round
    const intentBase = await this.log.appendJournal(targets.map((t) => encodeIntent(t.topic, t.partition, t.end, t.items.map((x) => x.offset))));
    targets.forEach((t, i) => this.apply(intentBase + i, { kind: Kind.INTENT, topic: t.topic, partition: t.partition, targetLogEnd: t.end, offsets: Float64Array.from(t.items.map((x) => x.offset)) }));
    // from here on only a DELIVERED (this round's or a settle's) puts them back in the heap
    for (const t of targets) for (const x of t.items) this.held.set(x.offset, dueOf.get(x.offset)!);
    // (2) the moves
    const confirmed: Array<{ intentOffset: number; offsets: number[] }> = [];
    await Promise.all(
      targets.map(async (t, i) => {
        const intentOffset = intentBase + i;
        const batch = buildMoveBatch(t.items.map((x) => movedRecord(x.offset, x.rec, x.meta)));
        if (await this.targets.append(t, batch, this.now())) confirmed.push({ intentOffset, offsets: t.items.map((x) => x.offset) });
        else this.settler.later(intentOffset); // outcome unknown: read back once the target's leader can tell
      }),
    );
    if (confirmed.length === 0) return;
    // (3) confirmations
    let doneBase: number;
    try {
      doneBase = await this.log.appendJournal(confirmed.map((c) => encodeDelivered(c.intentOffset, c.offsets)));
    } catch (err) {
      // not durable (or not known to be): the records are in their targets, a settle finds them there
      for (const c of confirmed) this.settler.later(c.intentOffset);
      throw err;
    }
    const now = this.now();
    confirmed.forEach((c, i) => {
      this.apply(doneBase + i, { kind: Kind.DELIVERED, intentOffset: c.intentOffset, offsets: Float64Array.from(c.offsets) });
      for (const o of c.offsets) this.lateness.observe(Math.max(0, now - dueOf.get(o)!.due) / 1000);
      const topic = targets.find((_, j) => intentBase + j === c.intentOffset)!.topic;
      this.deliveredTotal.set(topic, (this.deliveredTotal.get(topic) ?? 0) + c.offsets.length);
    });
  }

  private async ensureDeadLetter(name: string, rec: JournalRecord): Promise<TopicInfo | undefined> {
    // only dead-letter targets are created on the fly (a retry topic's brook.retry.dead.letter.topic)
    if (headerValue(rec.headers, Header.DLQ_REASON) === null || isReservedInternalTopic(name)) return undefined;
    return this.services.metadata.ensureTopic(name, { partitions: 1 });
  }

  /** Moves the log start past what is resolved, so the journal does not grow forever. */
  private async maybeTrim(): Promise<void> {
    const now = this.now();
    const log = this.log.opened;
    if (!log || now - this.lastTrim < TRIM_EVERY_MS) return;
    this.lastTrim = now;
    let low = Math.min(this.index.lowestPending(), log.logEndOffset);
    for (const o of this.inflight) low = Math.min(low, o);
    for (const o of this.intents.keys()) low = Math.min(low, o);
    low = Math.min(low, this.producers.lowest());
    if (low > log.logStartOffset) await log.deleteRecordsBefore(low);
  }
}

function sameKey(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

/** The last header of that name (Kafka's lastHeader), read as the produce path reads brook- headers; null when absent. */
function headerValue(headers: RecordHeader[], name: string): string | null {
  return headerText(headers, name) ?? null;
}

function view(offset: number, meta: ScheduleMeta, r: JournalRecord): PendingView {
  return { offset, due: meta.due, scheduledAt: meta.scheduledAt, topic: meta.topic, partition: meta.partition, key: meta.key, scheduleId: headerValue(r.headers, Header.SCHEDULE_ID) };
}
