import { expect } from 'chai';
import { ErrorCode, KAFKA_ERRORS, errorByCode, errorName, isRetriable } from '../../protocol/errors';

describe('Kafka error codes', () => {
  it('has unique codes and names and a message for each', () => {
    const codes = new Set(KAFKA_ERRORS.map((e) => e.code));
    const names = new Set(KAFKA_ERRORS.map((e) => e.name));
    expect(codes.size).to.equal(KAFKA_ERRORS.length);
    expect(names.size).to.equal(KAFKA_ERRORS.length);
    for (const e of KAFKA_ERRORS) {
      expect(e.name).to.match(/^[A-Z][A-Z0-9_]*$/);
      expect(e.message.length, e.name).to.be.greaterThan(0);
    }
  });

  it('covers every code from -1 to the highest without gaps', () => {
    const codes = KAFKA_ERRORS.map((e) => e.code).sort((a, b) => a - b);
    expect(codes[0]).to.equal(-1);
    expect(codes[codes.length - 1]).to.be.at.least(130);
    codes.forEach((c, i) => expect(c).to.equal(i - 1));
  });

  it('ErrorCode agrees with the table in both directions', () => {
    const entries = Object.entries(ErrorCode);
    expect(entries.length).to.equal(KAFKA_ERRORS.length);
    for (const [name, code] of entries) expect(errorByCode(code)?.name).to.equal(name);
  });

  it('has the known samples right', () => {
    expect(ErrorCode.NONE).to.equal(0);
    expect(ErrorCode.UNKNOWN_SERVER_ERROR).to.equal(-1);
    expect(ErrorCode.CORRUPT_MESSAGE).to.equal(2);
    expect(ErrorCode.NOT_LEADER_OR_FOLLOWER).to.equal(6);
    expect(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE).to.equal(76);
    expect(ErrorCode.INVALID_RECORD).to.equal(87);
    expect(ErrorCode.PRODUCER_FENCED).to.equal(90);
    expect(ErrorCode.UNKNOWN_TOPIC_ID).to.equal(100);
    expect(isRetriable(6)).to.equal(true);
    expect(isRetriable(3)).to.equal(true);
    expect(isRetriable(ErrorCode.NOT_COORDINATOR)).to.equal(true);
    expect(isRetriable(ErrorCode.REQUEST_TIMED_OUT)).to.equal(true);
    expect(isRetriable(35)).to.equal(false);
    expect(isRetriable(ErrorCode.NONE)).to.equal(false);
    expect(isRetriable(ErrorCode.TOPIC_AUTHORIZATION_FAILED)).to.equal(false);
    expect(errorByCode(6)).to.include({ name: 'NOT_LEADER_OR_FOLLOWER', retriable: true });
    expect(errorByCode(35)).to.include({ name: 'UNSUPPORTED_VERSION', retriable: false });
  });

  it('treats unknown codes as non-retriable and names them', () => {
    expect(errorByCode(9999)).to.equal(undefined);
    expect(isRetriable(9999)).to.equal(false);
    expect(errorName(9999)).to.equal('UNKNOWN_ERROR_CODE_9999');
    expect(errorName(87)).to.equal('INVALID_RECORD');
  });
});
