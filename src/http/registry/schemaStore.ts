import { randomUUID } from 'node:crypto';
import { ApiKey } from '../../../protocol/generated/apis';
import type { ProduceRequest } from '../../../protocol/generated/messages/ProduceRequest';
import type { ProduceResponseInput } from '../../../protocol/generated/messages/ProduceResponse';
import { buildRecordBatch, decodeRecordBatches } from '../../../protocol/records';
import type { BrokerServices } from '../../handlers/types';
import { partitionLog } from '../../metadata/partitionLogs';
import { ensureInternalTopic } from '../../metadata/internalTopicReplicas';
import { MetadataError } from '../../metadata/types';
import { ErrorCode } from '../../../protocol/errors';
import { PRODUCE_BY_NAME_VERSION, callBroker, internalServices, produceRequest } from '../brokerCall';
import { HttpError } from '../respond';
import type { CompatibilityLevel } from './compatibility';
import { decodeRecord, type RegistryKey } from './schemaRecords';
import { parseSchema, type ParsedSchema, type ResolvedReference, type SchemaReference, type SchemaType } from './schemaTypes';
import type { PartitionLog } from '../../../storage';

export const SCHEMAS_TOPIC = '_schemas';

/** One subject version as Confluent's registry keeps it in `_schemas` (value of a SCHEMA key). */
export interface SchemaVersion {
  subject: string;
  version: number;
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  deleted: boolean;
  guid: string;
}

/** One record to append: a null value deletes the key (compaction drops it). */
export interface RegistryRecord {
  key: RegistryKey;
  value: unknown;
}

const READ_BYTES = 1 << 20;
/** LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS: worth a retry while leadership settles. */
const RETRIABLE = new Set([5, 6, 7, 19]);
const WRITE_RETRY_MS = 5000;

/**
 * The registry's state, rebuilt from and written to the compacted topic
 * `_schemas` (one partition, Confluent's key/value JSON layout), so schemas
 * survive restarts and replicate like any partition. Writes go through the
 * broker's own Produce path with acks=all and are applied when read back
 * from the log, so memory never holds what the log does not; every request
 * first catches up with the log, which is how followers in a cluster see the
 * leader's writes. An id names one schema: a record giving a taken id to a
 * different schema is refused, never applied.
 */
export class SchemaStore {
  readonly subjects = new Map<string, Map<number, SchemaVersion>>();
  /** id -> the first version registered with it (schema text, type, references are the same for all). */
  private readonly byId = new Map<number, SchemaVersion>();
  private readonly parsed = new Map<number, ParsedSchema>();
  readonly configs = new Map<string | null, CompatibilityLevel>();
  private maxId = 0;
  private applied = 0;
  private ready: Promise<void> | null = null;
  private writeChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly services: BrokerServices,
    private readonly replicationFactor: number,
  ) {}

  /**
   * Creates `_schemas` on first use and replays it. In a cluster it gets brook.http.schemas.replication.factor
   * replicas, created once that many brokers are alive (as Kafka's internal topics): created with fewer it would
   * keep them for good. Until then requests answer 50001, to be retried.
   */
  private ensureReady(): Promise<void> {
    this.ready ??= (async () => {
      const opts = { partitions: 1, replicationFactor: this.services.clustered ? this.replicationFactor : 1, configs: { 'cleanup.policy': 'compact' } };
      try {
        await ensureInternalTopic(this.services.metadata, SCHEMAS_TOPIC, opts, 'brook.http.schemas.replication.factor');
      } catch (err) {
        if (err instanceof MetadataError && err.errorCode === ErrorCode.INVALID_REPLICATION_FACTOR) throw new HttpError(500, 50001, `${SCHEMAS_TOPIC} cannot be created yet: ${err.message}`);
        throw err;
      }
    })().catch((err: unknown) => {
      this.ready = null;
      throw err;
    });
    return this.ready;
  }

  /** Applies records the log gained since the last call (own writes and, in a cluster, the leader's). */
  async catchUp(): Promise<void> {
    await this.caughtUpLog();
  }

  /** `catchUp`, answering the log it read. */
  private async caughtUpLog(): Promise<PartitionLog> {
    await this.ensureReady();
    const topic = this.services.metadata.topic(SCHEMAS_TOPIC);
    if (!topic) throw new HttpError(500, 50001, `${SCHEMAS_TOPIC} topic is missing`);
    const found = await partitionLog(this.services, topic, 0, { waitForRecovery: true });
    if (!found.log) throw new HttpError(500, 50003, `this broker holds no replica of ${SCHEMAS_TOPIC} (error ${found.errorCode}); ask a broker that does`);
    const log = found.log;
    if (this.applied < log.logStartOffset) this.applied = log.logStartOffset;
    while (this.applied < log.highWatermark) {
      const res = await log.read(this.applied, READ_BYTES, { maxOffset: log.highWatermark, minOneBatch: true });
      if (res.chunks.length === 0) break;
      const buf = res.chunks.length === 1 ? res.chunks[0]! : Buffer.concat(res.chunks);
      const before = this.applied;
      for (const batch of decodeRecordBatches(buf)) {
        const next = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
        if (!batch.isControl) {
          for (const r of batch.records) if (Number(r.offset) >= this.applied && r.key) this.apply(Number(r.offset), r.key, r.value);
        }
        this.applied = Math.max(this.applied, next);
      }
      if (this.applied <= before) break;
    }
    return log;
  }

  /** Applies one record; one a registry could not have written is logged and skipped, never fatal. */
  private apply(offset: number, keyBuf: Buffer, valueBuf: Buffer | null): void {
    const rec = decodeRecord(keyBuf, valueBuf);
    if (rec.kind === 'invalid') {
      this.services.logger.warn({ topic: SCHEMAS_TOPIC, offset, reason: rec.reason }, 'skipping a malformed _schemas record');
      return;
    }
    if (rec.kind === 'config') {
      if (rec.level === null) this.configs.delete(rec.subject);
      else this.configs.set(rec.subject, rec.level);
      return;
    }
    if (rec.kind !== 'schema') return;
    const { key, value } = rec;
    const versions = this.subjects.get(key.subject) ?? new Map<number, SchemaVersion>();
    if (value === null) {
      versions.delete(key.version);
      if (versions.size === 0) this.subjects.delete(key.subject);
      return;
    }
    const v: SchemaVersion = { subject: key.subject, version: key.version, ...value, guid: value.guid ?? randomUUID() };
    const first = this.byId.get(v.id);
    if (first && !this.sameSchema(first, v)) {
      // Applying it would make a producer's id resolve to another schema for every consumer: silent corruption.
      this.services.logger.warn({ topic: SCHEMAS_TOPIC, offset, id: v.id, subject: v.subject, version: v.version, holder: `${first.subject} version ${first.version}` }, 'skipping a _schemas record that gives a taken id to another schema');
      return;
    }
    versions.set(v.version, v);
    this.subjects.set(v.subject, versions);
    if (!this.byId.has(v.id)) this.byId.set(v.id, v);
    this.maxId = Math.max(this.maxId, v.id);
  }

  /** Same type, references and text, or text with the same canonical form (a registration reusing an id keeps its own text). */
  private sameSchema(a: SchemaVersion, b: SchemaVersion): boolean {
    if (a.schemaType !== b.schemaType || JSON.stringify(a.references) !== JSON.stringify(b.references)) return false;
    if (a.schema === b.schema) return true;
    try {
      return this.parse(a).canonical === parseSchema(b.schemaType, b.schema, this.resolveReferences(b.references)).canonical;
    } catch {
      return false;
    }
  }

  /**
   * Runs `plan` against the registry's state once every earlier change is in
   * the log and applied, then appends the records it returns: checks (is it
   * already registered, is it compatible), the next id and the next version
   * are decided and written as one step, so concurrent requests cannot both
   * take the same id or version. `plan` is synchronous so nothing interleaves.
   */
  update<T>(plan: () => { records: RegistryRecord[]; result: T }): Promise<T> {
    const run = this.writeChain.then(async () => {
      const log = await this.caughtUpLog();
      // A newly elected leader may hold records past its high watermark that the old leader acknowledged
      // (its followers have not told it yet); planning without them would hand out their ids again. As
      // Confluent's registry does on election, append a no-op marker with acks=all and read up to it: once
      // it is committed, so is everything before it.
      if (log.logEndOffset > log.highWatermark && this.leads()) await this.append([{ key: { keytype: 'NOOP', magic: 0 }, value: null }]);
      const { records, result } = plan();
      if (records.length > 0) {
        await this.append(records);
        this.checkApplied(records);
      }
      return result;
    });
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  /** Appends records that do not depend on the current state (see `update`). */
  write(records: RegistryRecord[]): Promise<void> {
    return this.update(() => ({ records, result: undefined }));
  }

  /** Appends keyed JSON records to `_schemas` (acks=all) and applies them once read back. Only from inside `update`. */
  private async append(records: RegistryRecord[]): Promise<void> {
    const batch = buildRecordBatch({
      records: records.map((r) => ({ key: Buffer.from(JSON.stringify(r.key)), value: r.value === null ? null : Buffer.from(JSON.stringify(r.value)) })),
    });
    const req = produceRequest(SCHEMAS_TOPIC, [{ index: 0, records: batch }]);
    const deadline = Date.now() + WRITE_RETRY_MS;
    for (;;) {
      const res = await callBroker<ProduceRequest, ProduceResponseInput>(internalServices(this.services), { principal: 'User:ANONYMOUS', remoteAddress: '127.0.0.1', secure: true }, ApiKey.Produce, req, PRODUCE_BY_NAME_VERSION);
      const code = res?.responses?.[0]?.partitionResponses?.[0]?.errorCode ?? -1;
      if (code === 0) break;
      // Right after `_schemas` is created or fails over, this broker may be the leader-to-be: wait for the role, briefly.
      const leader = this.services.metadata.partitionState(SCHEMAS_TOPIC, 0)?.leader ?? -1;
      const mine = leader === -1 || leader === this.services.metadata.self().nodeId;
      if (RETRIABLE.has(code) && mine && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      throw new HttpError(500, code === 6 ? 50003 : 50001, `writing to ${SCHEMAS_TOPIC} failed with Kafka error ${code}${code === 6 ? ` (broker ${leader} leads it; send schema changes to that broker's HTTP port)` : ''}`);
    }
    await this.catchUp();
  }

  private leads(): boolean {
    return this.services.metadata.partitionState(SCHEMAS_TOPIC, 0)?.leader === this.services.metadata.self().nodeId;
  }

  /** A written schema the log refused (its id went to another schema meanwhile) must not be answered as registered. */
  private checkApplied(records: RegistryRecord[]): void {
    for (const r of records) {
      if (r.key.keytype !== 'SCHEMA' || r.value === null) continue;
      const v = r.value as SchemaVersion;
      const got = this.subjects.get(r.key.subject)?.get(r.key.version);
      if (!got || got.id !== v.id || got.schema !== v.schema || got.deleted !== v.deleted) {
        throw new HttpError(500, 50001, `schema id ${v.id} already names another schema in ${SCHEMAS_TOPIC}; the registration was not kept, retry it`);
      }
    }
  }

  nextId(): number {
    return this.maxId + 1;
  }

  schemaById(id: number): SchemaVersion | undefined {
    return this.byId.get(id);
  }

  schemaByGuid(guid: string): SchemaVersion | undefined {
    for (const v of this.byId.values()) if (v.guid === guid) return v;
    return undefined;
  }

  /** Every version carrying `id`, soft-deleted ones only when asked. */
  versionsOfId(id: number, includeDeleted: boolean): SchemaVersion[] {
    const out: SchemaVersion[] = [];
    for (const versions of this.subjects.values()) for (const v of versions.values()) if (v.id === id && (includeDeleted || !v.deleted)) out.push(v);
    return out.sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version);
  }

  /** Versions of a subject oldest first. */
  versions(subject: string, includeDeleted: boolean): SchemaVersion[] {
    const m = this.subjects.get(subject);
    if (!m) return [];
    return [...m.values()].filter((v) => includeDeleted || !v.deleted).sort((a, b) => a.version - b.version);
  }

  /**
   * The parsed form of a stored schema (cached per id). One that no longer
   * parses (its references were hard-deleted, or another writer put it in
   * `_schemas`) is Confluent's 42201, not an internal error.
   */
  parse(v: Pick<SchemaVersion, 'id' | 'schemaType' | 'schema' | 'references'>): ParsedSchema {
    let p = this.parsed.get(v.id);
    if (!p) {
      try {
        p = parseSchema(v.schemaType, v.schema, this.resolveReferences(v.references));
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw new HttpError(422, 42201, `Invalid schema: stored schema id ${v.id} does not parse: ${(err as Error).message}`);
      }
      this.parsed.set(v.id, p);
    }
    return p;
  }

  /**
   * The schemas a reference list names, with what they reference in turn
   * first (each once), so a parser can define every named type before its
   * use; an unknown one is Confluent's 42201.
   */
  resolveReferences(refs: SchemaReference[], seen = new Set<string>(), out: ResolvedReference[] = []): ResolvedReference[] {
    for (const r of refs) {
      const key = `${r.subject}\u0000${r.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const v = this.subjects.get(r.subject)?.get(r.version);
      if (!v || v.deleted) throw new HttpError(422, 42201, `Invalid schema: reference ${r.name} to ${r.subject} version ${r.version} not found`);
      this.resolveReferences(v.references, seen, out);
      out.push({ name: r.name, schemaType: v.schemaType, schema: v.schema });
    }
    return out;
  }

  /** Ids whose schemas reference this subject version. */
  referencedBy(subject: string, version: number): number[] {
    const ids = new Set<number>();
    for (const versions of this.subjects.values()) {
      for (const v of versions.values()) if (!v.deleted && v.references.some((r) => r.subject === subject && r.version === version)) ids.add(v.id);
    }
    return [...ids].sort((a, b) => a - b);
  }

  /** A schema (by canonical form, type and references) already registered anywhere: its id is reused. */
  findId(type: SchemaType, canonical: string, refs: SchemaReference[]): number | null {
    const refKey = JSON.stringify(refs);
    for (const v of this.byId.values()) {
      if (v.schemaType !== type || JSON.stringify(v.references) !== refKey) continue;
      try {
        if (this.parse(v).canonical === canonical) return v.id;
      } catch {
        continue;
      }
    }
    return null;
  }
}
