import { ApiKey } from '../../../protocol/generated/apis';
import type { CreateTopicsResponse } from '../../../protocol/generated/messages/CreateTopicsResponse';
import type { DeleteTopicsResponse } from '../../../protocol/generated/messages/DeleteTopicsResponse';
import type { DescribeConfigsResponse } from '../../../protocol/generated/messages/DescribeConfigsResponse';
import type { IncrementalAlterConfigsResponse } from '../../../protocol/generated/messages/IncrementalAlterConfigsResponse';
import { ConfigSource, configSourceName } from '../../admin/configTypes';
import type { BrokerServices } from '../../handlers/types';
import type { TopicInfo } from '../../metadata/types';
import { AclOperation, ResourceType } from '../../security/acl/model';
import { callApi, type HttpCaller } from '../brokerCall';
import { HttpError } from '../respond';
import { restError } from './kafkaErrors';

type DescribedTopicConfig = DescribeConfigsResponse['results'][number]['configs'][number];

/** Confluent REST v3 resource shapes for clusters, brokers, topics and partitions. */
export class TopicsResources {
  constructor(
    private readonly services: BrokerServices,
    private readonly base: () => string,
  ) {}

  get clusterId(): string {
    return this.services.metadata.clusterId;
  }

  checkCluster(id: string): void {
    if (id !== this.clusterId) throw new HttpError(404, 404, `Cluster ${id} not found.`);
  }

  private url(path: string): string {
    return `${this.base()}/v3/clusters/${this.clusterId}${path}`;
  }

  cluster(): Record<string, unknown> {
    const id = this.clusterId;
    const rel = (p: string) => ({ related: this.url(p) });
    return {
      kind: 'KafkaCluster',
      metadata: { self: this.url(''), resource_name: `crn:///kafka=${id}` },
      cluster_id: id,
      controller: { related: this.url(`/brokers/${this.services.metadata.controllerId}`) },
      // only links to what is served: acls, broker-configs, consumer-groups and reassignments are not (yet)
      brokers: rel('/brokers'),
      topics: rel('/topics'),
    };
  }

  brokers(): Record<string, unknown> {
    return {
      kind: 'KafkaBrokerList',
      metadata: { self: this.url('/brokers'), next: null },
      data: this.services.metadata.brokers().map((b) => this.brokerOf(b)),
    };
  }

  private brokerOf(b: { nodeId: number; host: string; port: number; rack?: string | null }): Record<string, unknown> {
    return {
      kind: 'KafkaBroker',
      metadata: { self: this.url(`/brokers/${b.nodeId}`), resource_name: `crn:///kafka=${this.clusterId}/broker=${b.nodeId}` },
      cluster_id: this.clusterId,
      broker_id: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack ?? null,
    };
  }

  /** GET /brokers/{id}. */
  broker(id: string): Record<string, unknown> {
    const b = this.services.metadata.brokers().find((x) => String(x.nodeId) === id);
    if (!b) throw new HttpError(404, 404, `Broker ${id} not found.`);
    return this.brokerOf(b);
  }

  private mayDescribe(caller: HttpCaller, topic: string): boolean {
    return this.services.authorizer?.authorize(caller, AclOperation.DESCRIBE, ResourceType.TOPIC, topic) ?? true;
  }

  topic(t: TopicInfo): Record<string, unknown> {
    const rf = this.services.metadata.partitionState(t.name, 0)?.replicas.length ?? 1;
    return {
      kind: 'KafkaTopic',
      metadata: { self: this.url(`/topics/${encodeURIComponent(t.name)}`), resource_name: `crn:///kafka=${this.clusterId}/topic=${t.name}` },
      cluster_id: this.clusterId,
      topic_name: t.name,
      is_internal: t.internal,
      replication_factor: rf,
      partitions_count: t.partitions,
      partitions: { related: this.url(`/topics/${encodeURIComponent(t.name)}/partitions`) },
      configs: { related: this.url(`/topics/${encodeURIComponent(t.name)}/configs`) },
      authorized_operations: [],
    };
  }

  /** A topic the caller may describe; an unknown and an undescribable one look the same (Kafka's rule). */
  findTopic(caller: HttpCaller, name: string): TopicInfo {
    const t = this.services.metadata.topic(name);
    if (!t || !this.mayDescribe(caller, name)) throw new HttpError(404, 404, `This server does not host this topic-partition. (topic ${name})`);
    return t;
  }

  listTopics(caller: HttpCaller): Record<string, unknown> {
    const data = this.services.metadata
      .topics()
      .filter((t) => this.mayDescribe(caller, t.name))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((t) => this.topic(t));
    return { kind: 'KafkaTopicList', metadata: { self: this.url('/topics'), next: null }, data };
  }

  partitions(caller: HttpCaller, name: string): Record<string, unknown> {
    const t = this.findTopic(caller, name);
    const data = Array.from({ length: t.partitions }, (_, p) => this.partitionOf(t, p));
    return { kind: 'KafkaPartitionList', metadata: { self: this.url(`/topics/${encodeURIComponent(t.name)}/partitions`), next: null }, data };
  }

  private partitionOf(t: TopicInfo, p: number): Record<string, unknown> {
    const st = this.services.metadata.partitionState(t.name, p);
    const base = `/topics/${encodeURIComponent(t.name)}/partitions/${p}`;
    return {
      kind: 'KafkaPartition',
      metadata: { self: this.url(base), resource_name: `crn:///kafka=${this.clusterId}/topic=${t.name}/partition=${p}` },
      cluster_id: this.clusterId,
      topic_name: t.name,
      partition_id: p,
      leader: st && st.leader >= 0 ? { related: this.url(`${base}/replicas/${st.leader}`) } : null,
      replicas: { related: this.url(`${base}/replicas`) },
    };
  }

  private partitionNumber(t: TopicInfo, id: string): number {
    const p = Number(id);
    if (!/^\d+$/.test(id) || p >= t.partitions) throw new HttpError(404, 40402, `Partition ${id} of topic ${t.name} not found.`);
    return p;
  }

  /** GET /topics/{t}/partitions/{p}. */
  partition(caller: HttpCaller, name: string, id: string): Record<string, unknown> {
    const t = this.findTopic(caller, name);
    return this.partitionOf(t, this.partitionNumber(t, id));
  }

  /** GET /topics/{t}/partitions/{p}/replicas: the assignment, with leadership and ISR membership. */
  replicas(caller: HttpCaller, name: string, id: string): Record<string, unknown> {
    const t = this.findTopic(caller, name);
    const p = this.partitionNumber(t, id);
    const st = this.services.metadata.partitionState(t.name, p);
    const base = `/topics/${encodeURIComponent(t.name)}/partitions/${p}/replicas`;
    const data = (st?.replicas ?? []).map((b) => ({
      kind: 'KafkaReplica',
      metadata: { self: this.url(`${base}/${b}`), resource_name: `crn:///kafka=${this.clusterId}/topic=${t.name}/partition=${p}/replica=${b}` },
      cluster_id: this.clusterId,
      topic_name: t.name,
      partition_id: p,
      broker_id: b,
      is_leader: st!.leader === b,
      is_in_sync: st!.isr.includes(b),
      broker: { related: this.url(`/brokers/${b}`) },
    }));
    return { kind: 'KafkaReplicaList', metadata: { self: this.url(base), next: null }, data };
  }

  /** GET /topics/{t}/partitions/{p}/replicas/{b}. */
  replica(caller: HttpCaller, name: string, id: string, broker: string): Record<string, unknown> {
    const r = (this.replicas(caller, name, id).data as Array<{ broker_id: number }>).find((x) => String(x.broker_id) === broker);
    if (!r) throw new HttpError(404, 404, `Replica ${broker} of ${name}-${id} not found.`);
    return r;
  }

  /** POST /topics: CreateTopics as the caller (CREATE on the cluster or the topic). */
  async create(caller: HttpCaller, body: unknown): Promise<Record<string, unknown>> {
    const b = (body ?? {}) as { topic_name?: unknown; partitions_count?: unknown; replication_factor?: unknown; configs?: unknown; validate_only?: unknown };
    if (typeof b.topic_name !== 'string' || b.topic_name === '') throw new HttpError(400, 40002, 'topic_name is required');
    const partitions = b.partitions_count === undefined ? -1 : Number(b.partitions_count);
    const rf = b.replication_factor === undefined ? -1 : Number(b.replication_factor);
    if (!Number.isInteger(partitions) || !Number.isInteger(rf)) throw new HttpError(400, 40002, 'partitions_count and replication_factor must be integers');
    const configs = Array.isArray(b.configs) ? b.configs : [];
    const res = await callApi<CreateTopicsResponse>(this.services, caller, ApiKey.CreateTopics, 7, {
      topics: [{ name: b.topic_name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs: configs.map((c: { name?: unknown; value?: unknown }) => ({ name: String(c?.name), value: c?.value === null || c?.value === undefined ? null : String(c.value) })) }],
      timeoutMs: 30_000,
      validateOnly: b.validate_only === true,
    });
    const r = res.topics[0];
    if (!r || r.errorCode !== 0) throw restError(r?.errorCode ?? -1, r?.errorMessage ?? null, `create topic ${b.topic_name}`);
    const t = this.services.metadata.topic(b.topic_name);
    return t ? this.topic(t) : { kind: 'KafkaTopic', cluster_id: this.clusterId, topic_name: b.topic_name, partitions_count: r.numPartitions, replication_factor: r.replicationFactor };
  }

  async delete(caller: HttpCaller, name: string): Promise<void> {
    const res = await callApi<DeleteTopicsResponse>(this.services, caller, ApiKey.DeleteTopics, 5, { topicNames: [name], timeoutMs: 30_000 });
    const r = res.responses[0];
    if (!r || r.errorCode !== 0) throw restError(r?.errorCode ?? -1, r?.errorMessage ?? null, `delete topic ${name}`);
  }

  /** GET /topics/{t}/configs: every config of the topic (overrides and defaults), from DescribeConfigs as the caller. */
  async configs(caller: HttpCaller, name: string): Promise<Record<string, unknown>> {
    const t = this.findTopic(caller, name);
    const data = (await this.describedConfigs(caller, t.name, null)).map((c) => this.configOf(t.name, c));
    return { kind: 'KafkaTopicConfigList', metadata: { self: this.url(`/topics/${encodeURIComponent(t.name)}/configs`), next: null }, data };
  }

  /** GET /topics/{t}/configs/{name}: one config; 404 when the topic has no such config. */
  async config(caller: HttpCaller, topic: string, name: string): Promise<Record<string, unknown>> {
    const t = this.findTopic(caller, topic);
    const found = (await this.describedConfigs(caller, t.name, [name])).find((c) => c.name === name);
    if (!found) throw new HttpError(404, 40403, `topic ${t.name} has no config ${name}`);
    return this.configOf(t.name, found);
  }

  /** PUT /topics/{t}/configs/{name} with {value}: sets it; DELETE: back to its default (IncrementalAlterConfigs). */
  async setConfig(caller: HttpCaller, topic: string, name: string, body: unknown): Promise<void> {
    const value = (body as { value?: unknown } | null)?.value;
    if (value === undefined || value === null) throw new HttpError(400, 40002, 'value is required');
    await this.incrementalAlter(caller, topic, [{ name, configOperation: 0, value: String(value) }]);
  }

  async resetConfig(caller: HttpCaller, topic: string, name: string): Promise<void> {
    await this.incrementalAlter(caller, topic, [{ name, configOperation: 1, value: null }]);
  }

  private async describedConfigs(caller: HttpCaller, topic: string, keys: string[] | null): Promise<DescribedTopicConfig[]> {
    const res = await callApi<DescribeConfigsResponse>(this.services, caller, ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: topic, configurationKeys: keys }],
      includeSynonyms: true,
      includeDocumentation: false,
    });
    const r = res.results[0];
    if (!r || r.errorCode !== 0) throw restError(r?.errorCode ?? -1, r?.errorMessage ?? null, `describe configs of ${topic}`);
    return r.configs;
  }

  /** Confluent's KafkaTopicConfig shape. */
  private configOf(topic: string, c: DescribedTopicConfig): Record<string, unknown> {
    return {
      kind: 'KafkaTopicConfig',
      metadata: { self: this.url(`/topics/${encodeURIComponent(topic)}/configs/${encodeURIComponent(c.name)}`), resource_name: `crn:///kafka=${this.clusterId}/topic=${topic}/config=${c.name}` },
      cluster_id: this.clusterId,
      topic_name: topic,
      name: c.name,
      value: c.isSensitive ? null : c.value,
      is_default: c.configSource === ConfigSource.DEFAULT_CONFIG,
      is_read_only: c.readOnly,
      is_sensitive: c.isSensitive,
      source: configSourceName(c.configSource) ?? 'UNKNOWN',
      synonyms: c.synonyms.map((y) => ({ name: y.name, value: y.value, source: configSourceName(y.source) ?? 'UNKNOWN' })),
    };
  }

  private async incrementalAlter(caller: HttpCaller, name: string, configs: Array<{ name: string; configOperation: number; value: string | null }>): Promise<void> {
    this.findTopic(caller, name);
    const res = await callApi<IncrementalAlterConfigsResponse>(this.services, caller, ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: name, configs }], validateOnly: false });
    const r = res.responses[0];
    if (!r || r.errorCode !== 0) throw restError(r?.errorCode ?? -1, r?.errorMessage ?? null, `alter configs of ${name}`);
  }

  /** POST /topics/{t}/configs:alter: IncrementalAlterConfigs as the caller (ALTER_CONFIGS on the topic). */
  async alterConfigs(caller: HttpCaller, name: string, body: unknown): Promise<void> {
    const data = (body as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw new HttpError(400, 40002, 'data must be a list of {name, value, operation}');
    const configs = data.map((c: { name?: unknown; value?: unknown; operation?: unknown }) => {
      if (typeof c?.name !== 'string') throw new HttpError(400, 40002, 'every config needs a name');
      const op = String(c.operation ?? 'SET').toUpperCase();
      if (op !== 'SET' && op !== 'DELETE') throw new HttpError(400, 40002, `operation ${op} is not SET or DELETE`);
      return { name: c.name, configOperation: op === 'SET' ? 0 : 1, value: op === 'DELETE' || c.value === null || c.value === undefined ? null : String(c.value) };
    });
    await this.incrementalAlter(caller, name, configs);
  }
}
