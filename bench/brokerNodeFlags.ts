import { BROKER_NODE_FLAGS } from '../src/cli/nodeFlags';

/**
 * The Node flags a bench starts its broker processes with: the broker's own (src/cli/nodeFlags.ts), as
 * `brook start` runs; BENCH_BROKER_NODE_FLAGS replaces them for an A/B run ('' = Node's defaults).
 */
export function brokerNodeFlags(): string[] {
  const override = process.env.BENCH_BROKER_NODE_FLAGS;
  return override === undefined ? [...BROKER_NODE_FLAGS] : override.split(' ').filter(Boolean);
}
