import type { LogManager } from '../../storage/logManager';
import type { TopicInfo } from '../metadata/types';
import { FilterSyntaxError } from './filterParser';
import { compileFilter } from './recordFilter';
import { VIEW_OF, viewFilterText } from './viewTopics';

interface TopicLookup {
  topic(name: string): TopicInfo | undefined | null;
  topics(): readonly TopicInfo[];
}

/**
 * Whether some view of `source` has a selective tag filter. Only then do the source's logs keep a tag index on
 * append (storage's `tagIndex`): it costs a pass over each record's headers, and a decompression of each
 * compressed batch, that topics nobody filters by tag should not pay.
 */
export function sourceWantsTagIndex(metadata: TopicLookup, source: string): boolean {
  for (const t of metadata.topics()) {
    if (t.configs[VIEW_OF] !== source) continue;
    try {
      const f = compileFilter(viewFilterText(t));
      if (f.tags !== null && !f.all) return true;
    } catch (err) {
      if (!(err instanceof FilterSyntaxError)) throw err;
    }
  }
  return false;
}

/** Turns the tag index of a source's logs on or off to match its views (at start, as views come, change and go). */
export function applySourceTagIndex(metadata: TopicLookup, logs: LogManager, source: string): void {
  const topic = metadata.topic(source);
  if (!topic) return;
  const tagIndex = sourceWantsTagIndex(metadata, source);
  // logs only known from the log summary get it from the broker's topic config resolver when first used
  logs.topicConfigChanged(source);
  for (let p = 0; p < topic.partitions; p++) logs.loaded(source, p)?.updateConfig({ tagIndex });
}

/** Turns it on for the sources of every tag view (at start, before any log is opened). */
export function applyAllSourceTagIndexes(metadata: TopicLookup, logs: LogManager): void {
  const sources = new Set<string>();
  for (const t of metadata.topics()) if (t.configs[VIEW_OF] !== undefined) sources.add(t.configs[VIEW_OF]);
  for (const s of sources) applySourceTagIndex(metadata, logs, s);
}

/** A topic's storage config overrides plus whether its logs keep a tag index (for logs created now). */
export function withTagIndex<C extends object>(metadata: TopicLookup, topic: TopicInfo, cfg: C): C & { tagIndex: boolean } {
  return { ...cfg, tagIndex: sourceWantsTagIndex(metadata, topic.name) };
}
