import { ConfigType, type ConfigTypeValue } from './configTypes';
import { longValue, notInternalTopic, type ValueCheck } from './configValues';
import { checkDelays, Config, DEFAULT_MAX_DELAY_MS, DEFAULT_RETRY_DELAYS } from '../scheduled/policy';

/** The catalog's TopicConfigDef shape, restated so the catalog can import this file without a cycle. */
interface ScheduledConfigDef {
  name: string;
  type: ConfigTypeValue;
  defaultValue: string | null;
  synonyms: Array<{ name: string }>;
  check: ValueCheck;
  doc: string;
}

/** Scheduled delivery and retry topics (src/scheduled, docs/EXTENSIONS.md). */
export const SCHEDULED_TOPIC_CONFIGS: ScheduledConfigDef[] = [
  {
    name: Config.DELIVERY_DELAY_MS,
    type: ConfigType.LONG,
    defaultValue: '0',
    synonyms: [],
    check: longValue(0),
    doc: 'Brook: every record produced to the topic becomes readable this many ms later (0 = at once); brook-deliver-at / brook-delay-ms headers override it.',
  },
  {
    name: Config.MAX_DELAY_MS,
    type: ConfigType.LONG,
    defaultValue: String(DEFAULT_MAX_DELAY_MS),
    synonyms: [],
    check: longValue(0),
    doc: 'Brook: a record scheduled further ahead than this is refused with INVALID_RECORD.',
  },
  {
    name: Config.RETRY_FOR,
    type: ConfigType.STRING,
    defaultValue: '',
    synonyms: [],
    check: notInternalTopic,
    doc: 'Brook: makes this topic a retry topic: its records go back to the named topic after the delay for their brook-attempt.',
  },
  {
    name: Config.RETRY_DELAYS,
    type: ConfigType.LIST,
    defaultValue: DEFAULT_RETRY_DELAYS,
    synonyms: [],
    check: checkDelays,
    doc: 'Brook: delay before attempt n of a retry topic (durations, units ms, s, m, h, d; none = ms).',
  },
  {
    name: Config.RETRY_DLQ,
    type: ConfigType.STRING,
    defaultValue: '',
    synonyms: [],
    check: notInternalTopic,
    doc: 'Brook: where a retry topic sends a record past its last attempt (created on first use); empty = such records are refused.',
  },
];
