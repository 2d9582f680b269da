import type { BrokerServices } from '../handlers/types';
import { HttpError } from '../http/respond';
import { traceMessage, type MessageTrace } from '../trace/traceView';
import { readTarget, searchMessages } from './messageSearch';

/** Traces answered for one key at most (the newest matches). */
const MAX_KEY_TRACES = 20;

/**
 * `GET /api/topics/T/trace?partition=P&offset=O` or `?key=K`: the traces of one
 * record, or of the records holding a key (found like the search box finds them:
 * the key index when the topic has one).
 */
export async function traceQuery(s: BrokerServices, topic: string, url: URL): Promise<{ traces: MessageTrace[] }> {
  const target = readTarget(s, topic);
  if (!target) throw new HttpError(404, 404, 'no such topic');
  // a view's records are its source's, at the same offsets: their history is the source record's, plus the groups
  // that consumed the view (they commit under the view's name)
  const traced = target.topic.name;
  const view = traced !== topic ? topic : null;
  const key = url.searchParams.get('key');
  const partitionText = url.searchParams.get('partition');
  const offsetText = url.searchParams.get('offset');
  if (key) {
    const partition = partitionText ? Number(partitionText) : null;
    // the newest matches, looked up newest first (the index) or kept while the window is read (a scan)
    const found = await searchMessages(s, topic, { partition, offset: null, fromMs: null, key, text: null, limit: MAX_KEY_TRACES, newest: true });
    const rows = found?.messages ?? [];
    const traces: MessageTrace[] = [];
    for (const r of rows) {
      const t = await traceMessage(s, traced, r.partition, Number(r.offset), view);
      if (t) traces.push(t);
    }
    return { traces };
  }
  const partition = Number(partitionText ?? '0');
  const offset = Number(offsetText);
  if (!Number.isInteger(partition) || partition < 0 || offsetText === null || !Number.isInteger(offset) || offset < 0) {
    throw new HttpError(400, 40002, 'give key=K, or partition=P and offset=O');
  }
  if (target.filter !== null) {
    const shown = await searchMessages(s, topic, { partition, offset, fromMs: null, key: null, text: null, limit: 1 });
    if (shown?.messages[0]?.offset !== String(offset)) throw new HttpError(404, 40403, `no record of view ${topic} at ${topic}-${partition}@${offset} (the source record there does not match its filter)`);
  }
  const t = await traceMessage(s, traced, partition, offset, view);
  if (!t) throw new HttpError(404, 40403, `no record at ${topic}-${partition}@${offset}`);
  return { traces: [t] };
}
