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
