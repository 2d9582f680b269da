/**
 * One request's place in its connection's response order. Handlers finish in
 * any order; the connection writes slots strictly front to back.
 */
export interface ResponseSlot {
  ready: boolean;
  /** Encoded frame (size prefix included) or empty for "no response" (acks=0). */
  chunks: Buffer[];
  /** Run once the chunks were written to the socket (the write callback fired): buffers they link may be reused. */
  afterWrite?: Array<() => void>;
}
