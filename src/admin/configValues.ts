/**
 * Value checkers for config types, with Kafka's ranges: each returns null when
 * the string is acceptable, otherwise a reason for INVALID_CONFIG.
 */
import { isReservedInternalTopic } from '../internalTopics/names';
export type ValueCheck = (value: string) => string | null;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INTEGER = /^[+-]?\d+$/;

function integerIn(lo: bigint, hi: bigint, what: string, min?: number, max?: number): ValueCheck {
  return (raw) => {
    const v = raw.trim();
    if (!INTEGER.test(v)) return `expected ${what}, got "${raw}"`;
    const n = BigInt(v);
    if (n < lo || n > hi) return `${raw} is out of range for ${what}`;
    if (min !== undefined && n < BigInt(min)) return `value must be at least ${min}, got ${raw}`;
    if (max !== undefined && n > BigInt(max)) return `value must be at most ${max}, got ${raw}`;
    return null;
  };
}

export const longValue = (min?: number, max?: number): ValueCheck => integerIn(INT64_MIN, INT64_MAX, 'a long', min, max);
export const intValue = (min?: number, max?: number): ValueCheck => integerIn(INT32_MIN, INT32_MAX, 'an int', min, max);

export const doubleValue = (min: number, max: number): ValueCheck => (raw) => {
  const v = raw.trim();
  const n = Number(v);
  if (v === '' || !Number.isFinite(n)) return `expected a number, got "${raw}"`;
  if (n < min || n > max) return `value must be between ${min} and ${max}, got ${raw}`;
  return null;
};

export const boolValue: ValueCheck = (raw) => {
  const v = raw.trim().toLowerCase();
  return v === 'true' || v === 'false' ? null : `expected true or false, got "${raw}"`;
};

export const oneOf = (...allowed: string[]): ValueCheck => (raw) =>
  allowed.includes(raw.trim()) ? null : `expected one of ${allowed.join(', ')}, got "${raw}"`;

/** Comma-separated list items; empty items are dropped as Kafka's parser does. */
export function listItems(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export const listOf = (allowed: string[] | null, nonEmpty: boolean): ValueCheck => (raw) => {
  const items = listItems(raw);
  if (nonEmpty && items.length === 0) return 'the list must not be empty';
  if (allowed) {
    const bad = items.find((i) => !allowed.includes(i));
    if (bad !== undefined) return `list item "${bad}" is not one of ${allowed.join(', ')}`;
  }
  return null;
};

/** Any string, e.g. replica throttling lists that only matter with several brokers. */
export const anyValue: ValueCheck = () => null;

/** A topic name a Brook config may point records at: not one of the broker's own topics. */
export const notInternalTopic: ValueCheck = (v) => (isReservedInternalTopic(v) ? `${v} is an internal topic: records cannot be sent there` : null);
