import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { nodeFs, writeFileAtomic } from '../../storage/fs';

/** Ids reserved per disk write; a crash skips at most this many. */
export const PRODUCER_ID_BLOCK = 1000;
export const PRODUCER_ID_FILE = 'producer-id-block';

/**
 * Hands out producer ids that are never reused, across restarts and crashes:
 * the end of the current block is made durable before any id of it is given
 * out, and a restart continues after the last reserved block.
 */
/** Reserves `size` ids no other broker of the cluster will hand out; resolves with the first. */
export type ProducerIdBlockSource = (size: number) => Promise<bigint>;

export class ProducerIdAllocator {
  private next: bigint;
  private blockEnd: bigint;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dataDir: string | null,
    reservedUpTo: bigint,
    private readonly blocks: ProducerIdBlockSource | null = null,
  ) {
    this.next = reservedUpTo;
    this.blockEnd = reservedUpTo;
  }

  /** Cluster mode: blocks come from the cluster metadata, so brokers never hand out the same id. */
  static fromBlocks(blocks: ProducerIdBlockSource): ProducerIdAllocator {
    return new ProducerIdAllocator(null, 0n, blocks);
  }

  static async open(dataDir: string): Promise<ProducerIdAllocator> {
    let reserved = 0n;
    try {
      const text = (await fs.readFile(path.join(dataDir, PRODUCER_ID_FILE), 'utf8')).trim();
      if (!/^\d+$/.test(text)) throw new Error(`${PRODUCER_ID_FILE} holds ${JSON.stringify(text)}, not an id`);
      reserved = BigInt(text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new ProducerIdAllocator(dataDir, reserved);
  }

  allocate(): Promise<bigint> {
    const run = this.chain.then(async () => {
      if (this.next >= this.blockEnd && this.blocks) {
        const start = await this.blocks(PRODUCER_ID_BLOCK);
        this.next = start;
        this.blockEnd = start + BigInt(PRODUCER_ID_BLOCK);
      } else if (this.next >= this.blockEnd) {
        const end = this.next + BigInt(PRODUCER_ID_BLOCK);
        await writeFileAtomic(nodeFs, this.dataDir!, PRODUCER_ID_FILE, Buffer.from(end.toString()));
        this.blockEnd = end;
      }
      return this.next++;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}
