import { Reader } from '../../protocol/codec/reader';

/**
 * Topics named in a classic "consumer" protocol member's metadata
 * (ConsumerProtocolSubscription: every version starts with version and topics).
 * Unparseable metadata yields no topics rather than failing the caller.
 */
export function subscribedTopics(metadata: Buffer): string[] {
  try {
    const r = new Reader(metadata);
    r.int16();
    const n = r.arrayLength();
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string());
    return topics;
  } catch {
    return [];
  }
}

/** The topics a KIP-848 member's subscription can name: what it needs of the broker's topics. */
export interface SubscribableTopics {
  byName(name: string): unknown;
  names(): readonly string[];
}

/** What a KIP-848 member's subscription resolves to right now (names and regex), existing topics only. */
export function resolveTopics(m: { subscribedTopicNames: readonly string[]; subscribedTopicRegex: string | null }, topics: SubscribableTopics): Set<string> {
  const out = new Set<string>();
  for (const t of m.subscribedTopicNames) if (topics.byName(t)) out.add(t);
  if (m.subscribedTopicRegex) {
    let re: RegExp | null = null;
    try {
      re = new RegExp(`^(?:${m.subscribedTopicRegex})$`);
    } catch {
      re = null;
    }
    // Internal topics are never matched by patterns, as in Kafka.
    if (re) for (const t of topics.names()) if (!t.startsWith('__') && re.test(t)) out.add(t);
  }
  return out;
}

/** Every topic some member subscribes to, by name (existing or not) or by regex. */
export function groupSubscribedTopics(members: Iterable<{ subscribedTopicNames: readonly string[]; subscribedTopicRegex: string | null }>, topics: SubscribableTopics): Set<string> {
  const out = new Set<string>();
  for (const m of members) {
    for (const t of m.subscribedTopicNames) out.add(t);
    for (const t of resolveTopics(m, topics)) out.add(t);
  }
  return out;
}
