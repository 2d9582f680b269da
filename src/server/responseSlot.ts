/** A slot's chunks until its answer is encoded; acks=0 keeps it ("no response"). Never written to. */
const NO_CHUNKS: Buffer[] = Object.freeze([]) as unknown as Buffer[];

/**
 * One request's place in its connection's response order. Handlers finish in
 * any order; the connection writes slots strictly front to back. A class of
 * one shape: every request makes one.
 */
export class ResponseSlot {
  ready = false;
  /** Encoded frame (size prefix included) or empty for "no response" (acks=0). */
  chunks: Buffer[] = NO_CHUNKS;
  /** Run once the chunks were written to the socket (the write callback fired): buffers they link may be reused. */
  afterWrite: Array<() => void> | null = null;

  /**
   * The request's frame when it sits in a pool slot (Produce): given back once the answer was handed to the
   * socket, since an answer never links its request's bytes and the handler holds none past its answer.
   */
  constructor(readonly pooledFrame: Buffer | null = null) {}

  /** An answer ready at once (SASL, the ApiVersions fallback). */
  static answered(chunks: Buffer[]): ResponseSlot {
    const slot = new ResponseSlot();
    slot.ready = true;
    slot.chunks = chunks;
    return slot;
  }

  runAfterWrite(fn: () => void): void {
    if (this.afterWrite === null) this.afterWrite = [fn];
    else this.afterWrite.push(fn);
  }
}
