import type { KafkaRecord } from '../../protocol/records/types';
import type { BrokerServices } from '../handlers/types';

export interface TraceEvent {
  /** Epoch ms, null when unknown. */
  at: number | null;
  kind: 'created' | 'appended' | 'retried' | 'scheduled' | 'due' | 'delivered' | 'dead-lettered' | 'committed-past' | 'aborted' | 'open-transaction';
  detail: string;
  /** The consumer or share group the event names: shown only to callers allowed to DESCRIBE it (as DescribeGroups). */
  group?: string;
  /** Another topic whose records the event names: shown only to callers allowed to READ it. */
  topic?: string;
}

export interface TracedRecord {
  topic: string;
  partition: number;
  offset: number;
  record: KafkaRecord;
}

/**
 * Extension point for features that change a record's path after it was produced (scheduled delivery, retry
 * topics, dead-letter copies). An annotator must not throw for records it knows nothing about: it returns [].
 */
export type TraceAnnotator = (s: BrokerServices, rec: TracedRecord) => Promise<TraceEvent[]>;
