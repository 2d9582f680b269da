import { randomUUID } from 'node:crypto';
import type { BrokerServices } from '../../handlers/types';
import { AclOperation, ResourceType } from '../../security/acl/model';
import { forbidden } from '../auth';
import { HttpError, sendText } from '../respond';
import { ok, type ApiRequest, type ApiResult, type Route } from '../router';
import { COMPATIBILITY_LEVELS, incompatibilities, isCompatibilityLevel, type CompatibilityLevel } from './compatibility';
import { SCHEMAS_TOPIC, SchemaStore, type RegistryRecord, type SchemaVersion } from './schemaStore';
import { serializedProtobuf } from './protobufSchema';
import { InvalidSchemaError, SCHEMA_TYPES, parseSchema, parseSchemaType, type ParsedSchema, type ResolvedReference, type SchemaReference } from './schemaTypes';

export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const DEFAULT_LEVEL: CompatibilityLevel = 'BACKWARD';

const subjectNotFound = (s: string) => new HttpError(404, 40401, `Subject '${s}' not found.`);
const versionNotFound = (v: string) => new HttpError(404, 40402, `Version ${v} not found.`);
const referencedError = (s: string, v: number) => new HttpError(422, 42206, `One or more references exist to the schema {subject=${s},version=${v}}`);
const schemaNotFound = () => new HttpError(404, 40403, 'Schema not found');

/** Confluent's schema body: schemaType is left out for Avro, references when empty. */
function schemaBody(v: SchemaVersion, withSubject: boolean, format: string | null = null, refs: ResolvedReference[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = withSubject ? { subject: v.subject, version: v.version, id: v.id, guid: v.guid } : { guid: v.guid };
  if (v.schemaType !== 'AVRO') out.schemaType = v.schemaType;
  if (v.references.length > 0) out.references = v.references;
  out.schema = format === 'serialized' && v.schemaType === 'PROTOBUF' ? serialized(v, refs) : v.schema;
  return out;
}

/** The `/schema` endpoints answer the schema text itself as the body (Confluent's), not a JSON string holding it. */
function schemaText(r: ApiRequest, v: SchemaVersion): ApiResult {
  sendText(r.res, 200, REGISTRY_CONTENT_TYPE, v.schema);
  return { handled: true };
}

function serialized(v: SchemaVersion, refs: ResolvedReference[]): string {
  try {
    return serializedProtobuf(v.schema, refs.filter((r) => r.schemaType === 'PROTOBUF').map((r) => ({ name: r.name, text: r.schema })));
  } catch (err) {
    throw new HttpError(422, 42201, `Invalid schema: schema id ${v.id} cannot be served serialized: ${(err as Error).message}`);
  }
}

function flag(url: URL, name: string): boolean {
  return url.searchParams.get(name) === 'true';
}

interface SchemaInput {
  schemaType: ReturnType<typeof parseSchemaType>;
  schema: string;
  /** The body asked for a given id (Confluent's IMPORT mode), which this registry does not serve. */
  explicitId: boolean;
  references: SchemaReference[];
}

function schemaInput(body: unknown): SchemaInput {
  if (typeof body !== 'object' || body === null) throw new HttpError(422, 42201, 'Invalid schema: the body must be a JSON object with a "schema" field');
  const b = body as Record<string, unknown>;
  if (typeof b.schema !== 'string' || b.schema === '') throw new HttpError(422, 42201, 'Invalid schema: "schema" must be a non-empty string');
  let schemaType;
  try {
    schemaType = parseSchemaType(b.schemaType);
  } catch (err) {
    throw new HttpError(422, 42201, (err as Error).message);
  }
  const refs = b.references ?? [];
  if (!Array.isArray(refs) || refs.some((r) => typeof r !== 'object' || r === null || typeof (r as SchemaReference).name !== 'string' || typeof (r as SchemaReference).subject !== 'string' || !Number.isInteger((r as SchemaReference).version))) {
    throw new HttpError(422, 42201, 'Invalid schema: references must be a list of {name, subject, version}');
  }
  return { schemaType, schema: b.schema, explicitId: b.id !== undefined && b.id !== null && b.id !== -1, references: (refs as SchemaReference[]).map((r) => ({ name: r.name, subject: r.subject, version: r.version })) };
}

/**
 * The Confluent Schema Registry REST API over the `_schemas` topic: subjects
 * and versions, global ids, per-subject and global compatibility, soft and
 * hard deletes. Callers need DESCRIBE on the topic `_schemas` to read and
 * WRITE on it to change anything (Kafka ACLs have no subject resource).
 */
export class RegistryApi {
  readonly store: SchemaStore;

  constructor(private readonly services: BrokerServices, replicationFactor: number) {
    this.store = new SchemaStore(services, replicationFactor);
  }

  private allow(r: ApiRequest, write: boolean): void {
    const a = this.services.authorizer;
    if (!a) return;
    const op = write ? AclOperation.WRITE : AclOperation.DESCRIBE;
    if (!a.authorize(r.caller, op, ResourceType.TOPIC, SCHEMAS_TOPIC)) {
      throw forbidden(`${r.caller.principal} is not authorized to ${write ? 'change' : 'read'} schemas (needs ${write ? 'WRITE' : 'DESCRIBE'} on topic ${SCHEMAS_TOPIC})`);
    }
  }

  private parse(input: SchemaInput): ParsedSchema {
    try {
      return parseSchema(input.schemaType, input.schema, this.store.resolveReferences(input.references), true);
    } catch (err) {
      if (err instanceof InvalidSchemaError) throw new HttpError(422, 42201, err.message);
      throw err;
    }
  }

  level(subject: string | null): CompatibilityLevel {
    return (subject !== null ? this.store.configs.get(subject) : undefined) ?? this.store.configs.get(null) ?? DEFAULT_LEVEL;
  }

  private version(subject: string, ref: string, includeDeleted: boolean): SchemaVersion {
    const all = this.store.versions(subject, true);
    if (all.length === 0) throw subjectNotFound(subject);
    const live = all.filter((v) => includeDeleted || !v.deleted);
    if (ref === 'latest' || ref === '-1') {
      const last = live.at(-1);
      if (!last) throw subjectNotFound(subject);
      return last;
    }
    const n = Number(ref);
    if (!Number.isInteger(n) || n < 1) throw new HttpError(422, 42202, 'The specified version is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"');
    const v = live.find((x) => x.version === n);
    if (!v) throw versionNotFound(ref);
    return v;
  }

  private previous(subject: string): Array<{ version: number; schema: ParsedSchema }> {
    return this.store.versions(subject, false).map((v) => ({ version: v.version, schema: this.store.parse(v) }));
  }

  private async register(r: ApiRequest, subject: string): Promise<ApiResult> {
    this.allow(r, true);
    const input = schemaInput(await r.json());
    // Confluent assigns a given id only in IMPORT mode; ignoring it silently would hand out another id.
    if (input.explicitId) throw new HttpError(422, 42205, `Subject ${subject} is not in import mode (this registry serves READWRITE only)`);
    // Decided inside the store's update, against state no other change can move meanwhile.
    const result = await this.store.update(() => {
      const parsed = this.parse(input);
      const live = this.store.versions(subject, false);
      // Registering what the subject already has answers its id again, without a new version.
      for (const v of live) {
        if (v.schemaType === input.schemaType && this.store.parse(v).canonical === parsed.canonical && JSON.stringify(v.references) === JSON.stringify(input.references)) {
          return { records: [], result: { id: v.id, version: v.version, guid: v.guid } };
        }
      }
      const problems = incompatibilities(this.level(subject), parsed, this.previous(subject));
      if (problems.length > 0) {
        throw new HttpError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${problems.join('; ')}]`);
      }
      const existingId = this.store.findId(input.schemaType, parsed.canonical, input.references);
      const id = existingId ?? this.store.nextId();
      const version = (this.store.versions(subject, true).at(-1)?.version ?? 0) + 1;
      const guid = (existingId !== null ? this.store.schemaById(existingId)?.guid : undefined) ?? randomUUID();
      const value: SchemaVersion = { subject, version, id, schemaType: input.schemaType, schema: input.schema, references: input.references, deleted: false, guid };
      return { records: [{ key: { keytype: 'SCHEMA', subject, version, magic: 1 }, value }], result: { id, version, guid } };
    });
    return ok(result);
  }

  private async lookup(r: ApiRequest, subject: string): Promise<ApiResult> {
    this.allow(r, false);
    const input = schemaInput(await r.json());
    const includeDeleted = flag(r.url, 'deleted');
    const versions = this.store.versions(subject, includeDeleted);
    if (versions.length === 0) throw subjectNotFound(subject);
    const parsed = this.parse(input);
    const hit = versions.find((v) => v.schemaType === input.schemaType && this.store.parse(v).canonical === parsed.canonical);
    if (!hit) throw schemaNotFound();
    return ok(schemaBody(hit, true));
  }

  private async deleteSubject(r: ApiRequest, subject: string): Promise<ApiResult> {
    this.allow(r, true);
    const permanent = flag(r.url, 'permanent');
    const deleted = await this.store.update((): { records: RegistryRecord[]; result: number[] } => {
      const all = this.store.versions(subject, true);
      if (all.length === 0) throw subjectNotFound(subject);
      // Schemas that reference a version could no longer be parsed, looked up or evolved without it.
      const referenced = all.find((v) => this.store.referencedBy(subject, v.version).length > 0);
      if (referenced) throw referencedError(subject, referenced.version);
      if (permanent) {
        if (all.some((v) => !v.deleted)) throw new HttpError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
        return { records: [...all.map((v) => ({ key: { keytype: 'SCHEMA' as const, subject, version: v.version, magic: 1 as const }, value: null })), { key: { keytype: 'CONFIG', subject, magic: 0 }, value: null }], result: all.map((v) => v.version) };
      }
      const live = all.filter((v) => !v.deleted);
      if (live.length === 0) throw new HttpError(404, 40404, `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`);
      return { records: live.map((v) => ({ key: { keytype: 'SCHEMA' as const, subject, version: v.version, magic: 1 as const }, value: { ...v, deleted: true } })), result: live.map((v) => v.version) };
    });
    return ok(deleted);
  }

  private async deleteVersion(r: ApiRequest, subject: string, ref: string): Promise<ApiResult> {
    this.allow(r, true);
    const permanent = flag(r.url, 'permanent');
    const version = await this.store.update((): { records: RegistryRecord[]; result: number } => {
      // A numbered soft-deleted version is looked up too, so deleting it again says so (40406) rather than "not found"; "latest" is the latest live one.
      const v = this.version(subject, ref, permanent || (ref !== 'latest' && ref !== '-1'));
      if (!permanent && v.deleted) throw new HttpError(404, 40406, `Subject '${subject}' Version ${v.version} was soft deleted. Set permanent=true to delete permanently`);
      if (permanent) {
        if (!v.deleted) throw new HttpError(404, 40407, `Subject '${subject}' Version ${v.version} was not deleted first before being permanently deleted`);
        return { records: [{ key: { keytype: 'SCHEMA', subject, version: v.version, magic: 1 }, value: null }], result: v.version };
      }
      if (this.store.referencedBy(subject, v.version).length > 0) throw referencedError(subject, v.version);
      return { records: [{ key: { keytype: 'SCHEMA', subject, version: v.version, magic: 1 }, value: { ...v, deleted: true } }], result: v.version };
    });
    return ok(version);
  }

  private async compatibility(r: ApiRequest, subject: string, ref: string | null): Promise<ApiResult> {
    this.allow(r, false);
    const input = schemaInput(await r.json());
    const parsed = this.parse(input);
    let problems: string[];
    if (ref === null) {
      problems = incompatibilities(this.level(subject), parsed, this.previous(subject));
    } else {
      const live = this.store.versions(subject, false);
      if (live.length === 0) throw subjectNotFound(subject);
      const v = this.version(subject, ref, false);
      const level = this.level(subject);
      // Against one named version the _TRANSITIVE distinction does not apply.
      problems = incompatibilities(level.replace('_TRANSITIVE', '') as CompatibilityLevel, parsed, [{ version: v.version, schema: this.store.parse(v) }]);
    }
    const body: Record<string, unknown> = { is_compatible: problems.length === 0 };
    if (flag(r.url, 'verbose')) body.messages = problems;
    return ok(body);
  }

  private async putConfig(r: ApiRequest, subject: string | null): Promise<ApiResult> {
    this.allow(r, true);
    const body = (await r.json()) as Record<string, unknown> | null;
    const level = body?.compatibility ?? body?.compatibilityLevel;
    if (!isCompatibilityLevel(level)) throw new HttpError(422, 42203, `Invalid compatibility level. Valid values are ${COMPATIBILITY_LEVELS.join(', ')}`);
    await this.store.write([{ key: { keytype: 'CONFIG', subject, magic: 0 }, value: { compatibilityLevel: level } }]);
    return ok({ compatibility: level });
  }

  private getConfig(r: ApiRequest, subject: string | null): ApiResult {
    this.allow(r, false);
    if (subject === null) return ok({ compatibilityLevel: this.level(null) });
    const own = this.store.configs.get(subject);
    if (own) return ok({ compatibilityLevel: own });
    if (flag(r.url, 'defaultToGlobal')) return ok({ compatibilityLevel: this.level(null) });
    throw new HttpError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
  }

  private async deleteConfig(r: ApiRequest, subject: string | null): Promise<ApiResult> {
    this.allow(r, true);
    const previous = await this.store.update(() => {
      if (subject !== null && !this.store.configs.has(subject)) throw subjectNotFound(subject);
      return { records: [{ key: { keytype: 'CONFIG', subject, magic: 0 }, value: null }], result: this.level(subject) };
    });
    return ok({ compatibilityLevel: previous });
  }

  private byId(r: ApiRequest, idText: string): SchemaVersion {
    this.allow(r, false);
    const id = Number(idText);
    const v = Number.isInteger(id) ? this.store.schemaById(id) : undefined;
    if (!v) throw schemaNotFound();
    return v;
  }

  /** A schema as GET answers it; `?format=serialized` of a protobuf schema needs its references to resolve its imports. */
  private body(r: ApiRequest, v: SchemaVersion, withSubject: boolean): ApiResult {
    const format = r.url.searchParams.get('format');
    const refs = format === 'serialized' && v.schemaType === 'PROTOBUF' ? this.store.resolveReferences(v.references) : [];
    return ok(schemaBody(v, withSubject, format, refs));
  }

  /** Every route first catches up with `_schemas`, so a read sees every write acknowledged before it. */
  routes(): Route[] {
    return this.rawRoutes().map((r) => ({
      ...r,
      handle: async (req: ApiRequest, params: string[]) => {
        await this.store.catchUp();
        return r.handle(req, params);
      },
    }));
  }

  private rawRoutes(): Route[] {
    const S = '([^/]+)';
    const get = (pattern: RegExp, handle: Route['handle']): Route => ({ method: 'GET', pattern, handle });
    const post = (pattern: RegExp, handle: Route['handle']): Route => ({ method: 'POST', pattern, handle });
    const put = (pattern: RegExp, handle: Route['handle']): Route => ({ method: 'PUT', pattern, handle });
    const del = (pattern: RegExp, handle: Route['handle']): Route => ({ method: 'DELETE', pattern, handle });
    const re = (s: string) => new RegExp(`^${s}/?$`);
    return [
      get(re('/schemas/types'), () => ok(SCHEMA_TYPES)),
      get(re(`/schemas/ids/${S}`), (r, [id]) => this.body(r, this.byId(r, id!), false)),
      get(re(`/schemas/ids/${S}/schema`), (r, [id]) => schemaText(r, this.byId(r, id!))),
      get(re(`/schemas/ids/${S}/subjects`), (r, [id]) => ok([...new Set(this.store.versionsOfId(this.byId(r, id!).id, flag(r.url, 'deleted')).map((v) => v.subject))])),
      get(re(`/schemas/ids/${S}/versions`), (r, [id]) => ok(this.store.versionsOfId(this.byId(r, id!).id, flag(r.url, 'deleted')).map((v) => ({ subject: v.subject, version: v.version })))),
      get(re(`/schemas/guids/${S}`), (r, [guid]) => {
        this.allow(r, false);
        const v = this.store.schemaByGuid(guid!);
        if (!v) throw schemaNotFound();
        return ok(schemaBody(v, false));
      }),
      get(re('/subjects'), (r) => {
        this.allow(r, false);
        const deleted = flag(r.url, 'deleted');
        const prefix = r.url.searchParams.get('subjectPrefix') ?? '';
        return ok([...this.store.subjects.keys()].filter((s) => s.startsWith(prefix) && this.store.versions(s, deleted).length > 0).sort());
      }),
      get(re(`/subjects/${S}/versions`), (r, [s]) => {
        this.allow(r, false);
        const versions = this.store.versions(s!, flag(r.url, 'deleted'));
        if (versions.length === 0) throw subjectNotFound(s!);
        return ok(versions.map((v) => v.version));
      }),
      get(re(`/subjects/${S}/versions/${S}`), (r, [s, v]) => (this.allow(r, false), this.body(r, this.version(s!, v!, flag(r.url, 'deleted')), true))),
      get(re(`/subjects/${S}/versions/${S}/schema`), (r, [s, v]) => (this.allow(r, false), schemaText(r, this.version(s!, v!, flag(r.url, 'deleted'))))),
      get(re(`/subjects/${S}/versions/${S}/referencedby`), (r, [s, v]) => (this.allow(r, false), ok(this.store.referencedBy(s!, this.version(s!, v!, true).version)))),
      post(re(`/subjects/${S}/versions`), (r, [s]) => this.register(r, s!)),
      post(re(`/subjects/${S}`), (r, [s]) => this.lookup(r, s!)),
      del(re(`/subjects/${S}`), (r, [s]) => this.deleteSubject(r, s!)),
      del(re(`/subjects/${S}/versions/${S}`), (r, [s, v]) => this.deleteVersion(r, s!, v!)),
      post(re(`/compatibility/subjects/${S}/versions`), (r, [s]) => this.compatibility(r, s!, null)),
      post(re(`/compatibility/subjects/${S}/versions/${S}`), (r, [s, v]) => this.compatibility(r, s!, v!)),
      get(re('/config'), (r) => this.getConfig(r, null)),
      put(re('/config'), (r) => this.putConfig(r, null)),
      del(re('/config'), (r) => this.deleteConfig(r, null)),
      get(re(`/config/${S}`), (r, [s]) => this.getConfig(r, s!)),
      put(re(`/config/${S}`), (r, [s]) => this.putConfig(r, s!)),
      del(re(`/config/${S}`), (r, [s]) => this.deleteConfig(r, s!)),
      get(re('/mode'), (r) => (this.allow(r, false), ok({ mode: 'READWRITE' }))),
      get(re(`/mode/${S}`), (r) => (this.allow(r, false), ok({ mode: 'READWRITE' }))),
      get(re('/contexts'), (r) => (this.allow(r, false), ok(['.']))),
    ];
  }
}
