import type { RecordHeader } from '../../protocol/records';
import { isReservedInternalTopic } from '../internalTopics/names';

/** Record headers a producer schedules, cancels and retries with (docs/EXTENSIONS.md). */
export const Header = {
  DELIVER_AT: 'brook-deliver-at',
  DELAY_MS: 'brook-delay-ms',
  CANCEL: 'brook-cancel',
  SCHEDULE_ID: 'brook-schedule-id',
  ATTEMPT: 'brook-attempt',
  /** Added on delivery: when the record was scheduled (epoch ms). */
  SCHEDULED_AT: 'brook-scheduled-at',
  /** Added on delivery: "partition:offset" in __brook_scheduled; how recovery finds what a crash cut short. */
  SCHEDULED_OFFSET: 'brook-scheduled-offset',
  DLQ_TOPIC: 'brook-dlq-topic',
  DLQ_PARTITION: 'brook-dlq-partition',
  DLQ_REASON: 'brook-dlq-reason',
  DLQ_ATTEMPTS: 'brook-dlq-attempts',
  DLQ_TIME: 'brook-dlq-time',
} as const;

/** Topic configs (docs/EXTENSIONS.md). */
export const Config = {
  DELIVERY_DELAY_MS: 'brook.delivery.delay.ms',
  MAX_DELAY_MS: 'brook.delivery.max.delay.ms',
  RETRY_FOR: 'brook.retry.for',
  RETRY_DELAYS: 'brook.retry.delays',
  RETRY_DLQ: 'brook.retry.dead.letter.topic',
} as const;

/** 30 days: a schedule further out is refused (INVALID_RECORD). */
export const DEFAULT_MAX_DELAY_MS = 30 * 24 * 3_600_000;

export const DEFAULT_RETRY_DELAYS = '1s,5s,30s,2m,10m';

const DURATION = /^(\d+)(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "1s", "250ms", "2m", "1500" (ms) into ms; null when malformed. */
export function parseDuration(raw: string): number | null {
  const m = DURATION.exec(raw.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
}

/** `brook.retry.delays`: a comma list of durations, at least one. */
export function parseDelays(raw: string): number[] | null {
  const parts = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) return null;
  const out: number[] = [];
  for (const p of parts) {
    const d = parseDuration(p);
    if (d === null) return null;
    out.push(d);
  }
  return out;
}

export function checkDelays(raw: string): string | null {
  return parseDelays(raw) ? null : 'must be a comma list of durations such as 1s,5s,30s,2m (units ms, s, m, h, d; none = ms)';
}

/** The headers that make a produce batch go through the scheduler. */
export const TRIGGER_HEADERS: readonly string[] = [Header.DELIVER_AT, Header.DELAY_MS, Header.CANCEL];

export interface TopicSchedulePolicy {
  /** brook.delivery.delay.ms, 0 when unset. */
  defaultDelayMs: number;
  maxDelayMs: number;
  /** Set when the topic is a retry topic. */
  retry: { forTopic: string; delays: number[]; deadLetterTopic: string | null } | null;
}

export function topicPolicy(configs: Record<string, string>): TopicSchedulePolicy {
  const delay = Number(configs[Config.DELIVERY_DELAY_MS] ?? 0);
  const max = Number(configs[Config.MAX_DELAY_MS] ?? DEFAULT_MAX_DELAY_MS);
  const forTopic = configs[Config.RETRY_FOR];
  const delays = forTopic ? parseDelays(configs[Config.RETRY_DELAYS] ?? DEFAULT_RETRY_DELAYS) : null;
  return {
    defaultDelayMs: Number.isFinite(delay) && delay > 0 ? delay : 0,
    maxDelayMs: Number.isFinite(max) && max >= 0 ? max : DEFAULT_MAX_DELAY_MS,
    retry: forTopic ? { forTopic, delays: delays ?? [0], deadLetterTopic: configs[Config.RETRY_DLQ] || null } : null,
  };
}

/** Each configs object's policy. Altering a topic's configs replaces the object (both metadata backends), never changes it in place. */
const policies = new WeakMap<Readonly<Record<string, string>>, TopicSchedulePolicy>();

/** topicPolicy of a topic's current configs, parsed once: Produce asks for every partition batch it takes. */
export function topicPolicyOf(configs: Readonly<Record<string, string>>): TopicSchedulePolicy {
  let p = policies.get(configs);
  if (!p) policies.set(configs, (p = topicPolicy(configs)));
  return p;
}

/** True when the topic schedules every record (a delivery delay or a retry topic). */
export function schedulesEverything(p: TopicSchedulePolicy): boolean {
  return p.defaultDelayMs > 0 || p.retry !== null;
}

/** The last header of that name: a consumer that copies a record's headers and appends a new value wins. */
export function headerText(headers: RecordHeader[], name: string): string | undefined {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i]!.key === name) return headers[i]!.value ? headers[i]!.value!.toString('utf8') : '';
  return undefined;
}

const DIGITS = /^-?\d+$/;

export type Decision =
  | { kind: 'schedule'; topic: string; due: number; dlq?: { reason: string; attempts: number } }
  | { kind: 'cancel'; scheduleId: string | null; offset: number | null }
  | { kind: 'refuse'; message: string };

/**
 * What the scheduler does with one produced record of `topic`, at `now`. The rules (docs/EXTENSIONS.md):
 * - `brook-cancel` present: a cancel, never delivered itself; with `brook-scheduled-offset: 0:N`, of exactly
 *   the schedule at offset N (what `brook scheduled list` shows), else by key (and id).
 * - `brook-deliver-at` (epoch ms) or `brook-delay-ms` (ms from now), not both: due then. A time in the past
 *   is due at once (delivered through the scheduler, in order). Not a decimal integer, a negative delay,
 *   or beyond now + brook.delivery.max.delay.ms: refused.
 * - neither: brook.delivery.delay.ms of the topic (0 = at once).
 * - a retry topic: `brook-attempt` n (absent = 1) is due after the n-th of brook.retry.delays into
 *   brook.retry.for; past the last delay into brook.retry.dead.letter.topic at once (refused without one).
 */
export function decide(topic: string, headers: RecordHeader[], policy: TopicSchedulePolicy, now: number): Decision {
  if (headerText(headers, Header.CANCEL) !== undefined) {
    const id = headerText(headers, Header.CANCEL) || headerText(headers, Header.SCHEDULE_ID) || null;
    const at = headerText(headers, Header.SCHEDULED_OFFSET);
    if (at === undefined) return { kind: 'cancel', scheduleId: id, offset: null };
    const m = /^0:(\d+)$/.exec(at);
    if (!m) return { kind: 'refuse', message: `${Header.SCHEDULED_OFFSET} of a cancel must be 0:<offset>, got '${at}'` };
    return { kind: 'cancel', scheduleId: null, offset: Number(m[1]) };
  }
  if (policy.retry) {
    const raw = headerText(headers, Header.ATTEMPT) ?? '1';
    if (!DIGITS.test(raw) || Number(raw) < 1) return { kind: 'refuse', message: `${Header.ATTEMPT} must be a positive integer, got '${raw}'` };
    const attempt = Number(raw);
    const { delays, forTopic, deadLetterTopic } = policy.retry;
    // set before the config check refused internal topics: the record is refused, never moved into one
    const internal = [forTopic, deadLetterTopic].find((t) => t !== null && isReservedInternalTopic(t));
    if (internal) return { kind: 'refuse', message: `${topic}'s retry configs name the internal topic ${internal}` };
    if (attempt <= delays.length) return { kind: 'schedule', topic: forTopic, due: now + delays[attempt - 1]! };
    if (!deadLetterTopic) return { kind: 'refuse', message: `attempt ${attempt} is past the last of ${delays.length} retry delays and ${topic} has no ${Config.RETRY_DLQ}` };
    return { kind: 'schedule', topic: deadLetterTopic, due: now, dlq: { reason: 'retries-exhausted', attempts: attempt - 1 } };
  }
  const at = headerText(headers, Header.DELIVER_AT);
  const delay = headerText(headers, Header.DELAY_MS);
  if (at !== undefined && delay !== undefined) return { kind: 'refuse', message: `give ${Header.DELIVER_AT} or ${Header.DELAY_MS}, not both` };
  let due: number;
  if (at !== undefined) {
    if (!DIGITS.test(at.trim())) return { kind: 'refuse', message: `${Header.DELIVER_AT} must be epoch milliseconds, got '${at}'` };
    due = Math.max(now, Number(at.trim()));
  } else if (delay !== undefined) {
    if (!DIGITS.test(delay.trim())) return { kind: 'refuse', message: `${Header.DELAY_MS} must be a whole number of milliseconds, got '${delay}'` };
    const ms = Number(delay.trim());
    if (ms < 0) return { kind: 'refuse', message: `${Header.DELAY_MS} must not be negative, got ${ms}` };
    due = now + ms;
  } else {
    due = now + policy.defaultDelayMs;
  }
  if (due - now > policy.maxDelayMs) return { kind: 'refuse', message: `due ${due - now} ms from now, beyond ${Config.MAX_DELAY_MS}=${policy.maxDelayMs}` };
  return { kind: 'schedule', topic, due };
}
