/**
 * Raised by every decoder when the bytes on the wire cannot be a valid message.
 * The network layer turns it into a closed connection or an error response; it
 * must never escape as a crash.
 */
export class DecodeError extends Error {
  constructor(
    message: string,
    /** Byte offset in the buffer being decoded where the problem was found. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}
