/**
 * What users of the wire protocol need: the bounded Reader/Writer, the error a
 * decoder throws, the API table and header codecs, and every message codec as
 * a namespace (`ProduceRequestMsg.decodeProduceRequest`), since struct names
 * such as `Partition` repeat across messages.
 */
export { Reader } from './codec/reader';
export { Writer } from './codec/writer';
export { DecodeError } from './codec/errors';
export { type TaggedField, ZERO_UUID, EMPTY_BYTES, isZeroUuid } from './codec/tagged';
export * from './generated/apis';
export * from './generated/headers';
export * from './generated/allMessages';
export { encodeRequestFrame, decodeResponseFrame, peekCorrelationId } from './clientFrames';
