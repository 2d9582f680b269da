import { ErrorCode } from '../../protocol/errors';
import type { TopicInfo } from '../metadata/types';
import { FilterSyntaxError } from './filterParser';
import { compileFilter, type RecordFilter } from './recordFilter';
import { VIEW_OF, viewFilterText } from './viewTopics';

/** Compiled filters by text: readers that keep no per-read state of their own (share groups) share them. */
const compiled = new Map<string, RecordFilter>();
const MAX_COMPILED = 1024;

/** The view's filter, compiled once per text (AlterConfigs changes the text, so the next read takes the new one). */
export function compiledViewFilter(view: TopicInfo): RecordFilter {
  const text = viewFilterText(view);
  let f = compiled.get(text);
  if (f === undefined) {
    f = compileFilter(text);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(text, f);
  }
  return f;
}

/**
 * What serves a view's records to readers outside the Fetch path (share groups): its source topic and its filter.
 * UNKNOWN_TOPIC_OR_PARTITION when the source is gone; INVALID_CONFIG (with a log line by the caller) when the stored
 * filter does not parse, which creation and AlterConfigs refuse, so only a hand-edited metadata store gets there.
 */
export function viewSource(metadata: { topic(name: string): TopicInfo | undefined | null }, view: TopicInfo): { source: TopicInfo; filter: RecordFilter } | { errorCode: number; message: string } {
  const source = metadata.topic(view.configs[VIEW_OF]!);
  if (!source) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `source ${view.configs[VIEW_OF]} of view ${view.name} does not exist` };
  try {
    return { source, filter: compiledViewFilter(view) };
  } catch (err) {
    if (!(err instanceof FilterSyntaxError)) throw err;
    return { errorCode: ErrorCode.INVALID_CONFIG, message: `filter of view ${view.name} does not parse: ${err.message}` };
  }
}
