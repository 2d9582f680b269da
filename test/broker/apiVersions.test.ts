import { expect } from 'chai';
import { Reader } from '../../protocol/codec/reader';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey, apiDescriptor } from '../../protocol/generated/apis';
import type { ApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';

const DATA_PATH = [ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.ApiVersions];

describe('ApiVersions', () => {
  let broker: TestBroker;
  let client: RawClient;
  before(async () => {
    broker = await startTestBroker();
  });
  after(() => broker.destroy());
  beforeEach(async () => {
    client = await RawClient.connect(broker.port);
  });
  afterEach(() => client.close());

  for (const [name, version] of [['a b!', '1.0'], ['', '1.0'], ['librdkafka', '2.0-'], ['-x', '1']]) {
    it(`v3 refuses client software ${JSON.stringify(name)} ${JSON.stringify(version)} with INVALID_REQUEST, as Kafka does`, async () => {
      const res = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: name, clientSoftwareVersion: version });
      expect(res.errorCode).to.equal(ErrorCode.INVALID_REQUEST);
      expect(res.apiKeys).to.deep.equal([]);
      const ok = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'platformatic-kafka', clientSoftwareVersion: '1.35.0' });
      expect(ok.errorCode).to.equal(0);
    });
  }

  for (let v = 0; v <= 4; v++) {
    it(`v${v} lists the data-path APIs with their full spec ranges`, async () => {
      const res = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, v, { clientSoftwareName: 'brook-test', clientSoftwareVersion: '1.0' });
      expect(res.errorCode).to.equal(0);
      for (const key of DATA_PATH) {
        const d = apiDescriptor(key)!;
        const entry = res.apiKeys.find((a) => a.apiKey === key);
        expect(entry, d.name).to.deep.include({ minVersion: d.minVersion, maxVersion: d.maxVersion });
      }
      const keys = res.apiKeys.map((a) => a.apiKey);
      expect(keys).to.deep.equal([...keys].sort((a, b) => a - b));
      if (v >= 3) {
        expect(res.finalizedFeaturesEpoch).to.equal(-1n);
        expect(res.supportedFeatures).to.deep.equal([]);
      }
    });
  }

  it('does not advertise APIs without a handler', async () => {
    const res = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    // Vote is a KRaft controller API with a spec but no handler in Brook.
    expect(res.apiKeys.map((a) => a.apiKey)).to.not.include(ApiKey.Vote);
  });

  it('answers an unknown version with UNSUPPORTED_VERSION and the ranges in v0 layout', async () => {
    // A made-up future version whose body we cannot parse: header v2 (flexible) plus junk.
    const frame = Buffer.alloc(4 + 2 + 2 + 4 + 2 + 1 + 5);
    let p = 4;
    p = frame.writeInt16BE(ApiKey.ApiVersions, p);
    p = frame.writeInt16BE(99, p);
    p = frame.writeInt32BE(4242, p);
    p = frame.writeInt16BE(-1, p);
    frame.writeInt32BE(frame.length - 4, 0);
    client.send(frame);
    const r = new Reader(await client.nextFrame());
    expect(r.int32()).to.equal(4242);
    expect(r.int16()).to.equal(ErrorCode.UNSUPPORTED_VERSION);
    const n = r.int32();
    const ranges = new Map<number, [number, number]>();
    for (let i = 0; i < n; i++) ranges.set(r.int16(), [r.int16(), r.int16()]);
    expect(r.remaining).to.equal(0);
    expect(ranges.get(ApiKey.ApiVersions)).to.deep.equal([0, apiDescriptor(ApiKey.ApiVersions)!.maxVersion]);
    expect(ranges.get(ApiKey.Fetch)).to.deep.equal([apiDescriptor(ApiKey.Fetch)!.minVersion, apiDescriptor(ApiKey.Fetch)!.maxVersion]);
    // The connection stays usable: the client retries with a version we know.
    const res = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 0, {});
    expect(res.errorCode).to.equal(0);
  });
});
