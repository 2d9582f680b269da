import { DecodeError } from '../codec/errors';
import { buildRecordBatch } from './batch';
import type { KafkaRecord } from './types';

/**
 * Transaction markers: a control batch holding one record whose key is
 * (version int16, type int16) and value (version int16, coordinatorEpoch int32).
 */
export const ControlType = { ABORT: 0, COMMIT: 1 } as const;
export type ControlTypeValue = (typeof ControlType)[keyof typeof ControlType];

export interface ControlMarker {
  type: ControlTypeValue;
  coordinatorEpoch: number;
}

const KEY_SIZE = 4;
const VALUE_SIZE = 6;

export function encodeControlKey(type: ControlTypeValue): Buffer {
  const key = Buffer.alloc(KEY_SIZE);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  return key;
}

export function encodeControlValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.alloc(VALUE_SIZE);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

export interface BuildControlBatchOptions {
  baseOffset?: bigint;
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
  timestamp?: bigint;
  partitionLeaderEpoch?: number;
}

/** The marker batch a transaction coordinator asks partition leaders to append. */
export function buildControlBatch(opts: BuildControlBatchOptions): Buffer {
  const timestamp = opts.timestamp ?? BigInt(Date.now());
  return buildRecordBatch({
    baseOffset: opts.baseOffset,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    partitionLeaderEpoch: opts.partitionLeaderEpoch,
    transactional: true,
    isControl: true,
    records: [
      {
        key: encodeControlKey(opts.commit ? ControlType.COMMIT : ControlType.ABORT),
        value: encodeControlValue(opts.coordinatorEpoch),
        timestamp,
      },
    ],
  });
}

/** Reads the marker from a control record; unknown versions are read by their known prefix, as Kafka does. */
export function parseControlRecord(record: Pick<KafkaRecord, 'key' | 'value'>): ControlMarker {
  const { key, value } = record;
  if (key === null || key.length < KEY_SIZE) throw new DecodeError('control record key shorter than 4 bytes', 0);
  const type = key.readInt16BE(2);
  if (type !== ControlType.ABORT && type !== ControlType.COMMIT) {
    throw new DecodeError(`unknown control record type ${type}`, 2);
  }
  if (value === null || value.length < VALUE_SIZE) throw new DecodeError('control record value shorter than 6 bytes', 0);
  return { type, coordinatorEpoch: value.readInt32BE(2) };
}
