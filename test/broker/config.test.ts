import { expect } from 'chai';
import { writeFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from '../../src/cli/args';
import { buildConfig, loadConfig, parseListeners } from '../../src/config/load';
import { logConfigFromTopicConfigs, validateTopicConfig } from '../../src/config/logConfigMapping';
import { parseProperties } from '../../src/config/properties';
import { tempDataDir } from '../helpers/tempDir';

describe('broker configuration', () => {
  it('parses properties files with comments and both separators', () => {
    expect(parseProperties('# c\n! c2\n\nnum.partitions=3\nlog.dirs : /x\n  a.b = c d \n')).to.deep.equal({
      'num.partitions': '3',
      'log.dirs': '/x',
      'a.b': 'c d',
    });
    expect(() => parseProperties('novalue')).to.throw(/cannot parse/);
  });

  it('has Kafka defaults when nothing is set', () => {
    const c = buildConfig({});
    expect(c.port).to.equal(9092);
    expect(c.host).to.equal('127.0.0.1');
    expect(c.dataDir).to.equal('./data');
    expect(c.numPartitions).to.equal(1);
    expect(c.autoCreateTopicsEnable).to.equal(true);
    expect(c.socketRequestMaxBytes).to.equal(100 * 1024 * 1024);
    expect(c.connectionsMaxIdleMs).to.equal(600_000);
    expect(c.logDefaults).to.deep.equal({});
  });

  it('maps broker log.* properties to storage defaults, preferring the finest unit', () => {
    const c = buildConfig({
      'log.retention.hours': '1',
      'log.retention.ms': '5000',
      'log.segment.bytes': '1048576',
      'log.flush.interval.messages': '10',
      'log.flush.interval.ms': '250',
      'message.max.bytes': '2000',
      'log.cleanup.policy': 'delete,compact',
      'log.roll.hours': '2',
    });
    expect(c.logDefaults).to.deep.equal({
      retentionMs: 5000,
      segmentBytes: 1048576,
      flushMessages: 10,
      flushMs: 250,
      maxMessageBytes: 2000,
      cleanupPolicy: 'compact,delete',
      segmentMs: 7_200_000,
    });
    expect(buildConfig({ 'log.retention.hours': '2' }).logDefaults.retentionMs).to.equal(7_200_000);
    expect(buildConfig({ 'log.retention.ms': '-1' }).logDefaults.retentionMs).to.equal(-1);
  });

  it('maps topic configs and rejects bad values', () => {
    expect(logConfigFromTopicConfigs({ 'retention.ms': '100', 'max.message.bytes': '5', 'x.unknown': '1' })).to.deep.equal({
      retentionMs: 100,
      maxMessageBytes: 5,
    });
    expect(() => validateTopicConfig('retention.ms', 'soon')).to.throw(/retention.ms/);
    expect(() => validateTopicConfig('cleanup.policy', 'forever')).to.throw(/cleanup.policy/);
    expect(() => validateTopicConfig('no.such', '1')).to.throw(/unknown/);
  });

  it('parses advertised listeners', () => {
    expect(parseListeners('PLAINTEXT://broker.example:19092,INTERNAL://[::1]:9093')).to.deep.equal([
      { name: 'PLAINTEXT', host: 'broker.example', port: 19092 },
      { name: 'INTERNAL', host: '::1', port: 9093 },
    ]);
    expect(() => parseListeners('nonsense')).to.throw(/invalid listener/);
  });

  it('layers file, overrides and flags', () => {
    const dir = tempDataDir();
    try {
      const file = path.join(dir, 'server.properties');
      writeFileSync(file, 'num.partitions=4\nauto.create.topics.enable=false\nnode.id=7\nport=1111\n');
      const c = loadConfig({ file, overrides: { 'num.partitions': '6' }, port: 0, dataDir: '/d' });
      expect(c.numPartitions).to.equal(6);
      expect(c.autoCreateTopicsEnable).to.equal(false);
      expect(c.nodeId).to.equal(7);
      expect(c.port).to.equal(0);
      expect(c.dataDir).to.equal('/d');
      expect(() => buildConfig({ 'auto.create.topics.enable': 'yes' })).to.throw(/boolean/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses CLI arguments', () => {
    expect(parseArgs(['start', '--port', '0', '--host=0.0.0.0', '--data-dir', '/tmp/x', '--set', 'num.partitions=2', '--config', 'f'])).to.deep.equal({
      command: 'start',
      port: 0,
      host: '0.0.0.0',
      dataDir: '/tmp/x',
      configFile: 'f',
      overrides: { 'num.partitions': '2' },
    });
    expect(parseArgs(['--help']).command).to.equal('help');
    expect(parseArgs([]).command).to.equal('help');
    expect(() => parseArgs(['start', '--port', 'x'])).to.throw(/port/);
    expect(() => parseArgs(['start', '--bogus'])).to.throw(/unknown option/);
    expect(() => parseArgs(['stop'])).to.throw(/unknown command/);
  });
});
