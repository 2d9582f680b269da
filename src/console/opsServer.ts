import type * as http from 'node:http';
import type { BrokerServices } from '../handlers/types';
import type { BrokerMetrics } from '../metrics/brokerMetrics';
import { CONSOLE_CSS, CONSOLE_JS, INDEX_HTML } from './assets/page';
import { groupDetail, latestMessages, overview, reassignmentRows, topicDetail, topicRows, type Visible } from './consoleData';
import { shareGroupRows } from '../share/consoleView';
import { scheduledView } from '../scheduled/consoleView';
import { groupLag, type GroupLagRow } from '../metrics/groupLag';
import { ThroughputSampler } from './sampler';
import { startHttpServer, type RouteSet } from '../http/httpServer';
import type { HttpCaller } from '../http/brokerCall';
import { httpSettings } from '../http/settings';
import { RegistryApi, REGISTRY_CONTENT_TYPE } from '../http/registry/registryApi';
import { HttpError, sendText } from '../http/respond';
import { decodePathPart } from '../http/router';
import { ConsoleActions } from './consoleActions';
import { CONSOLE_PAGES_JS } from './assets/pages';
import { consoleVendorAssets } from './assets/vendor';
import { RestApi, REST_CONTENT_TYPE } from '../http/rest/restApi';
import { AclOperation, ResourceType } from '../security/acl/model';

export interface OpsServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  services: BrokerServices;
  metrics: BrokerMetrics;
  /** Serve the web console and its JSON API besides /metrics. */
  console: boolean;
  /** How often the console samples throughput and lag (default 5s). */
  sampleIntervalMs?: number;
}

export interface OpsServer {
  readonly host: string;
  readonly port: number;
  /** HTTPS (brook.http.tls.listener) rather than HTTP. */
  readonly secure: boolean;
  close(): Promise<void>;
}

const MAX_MESSAGES = 200;

function json(res: http.ServerResponse, value: unknown): void {
  if (value === null) return sendText(res, 404, 'application/json', '{"error":"not found"}');
  sendText(res, 200, 'application/json', JSON.stringify(value));
}

function forbidden(res: http.ServerResponse, what: string): void {
  sendText(res, 403, 'application/json', JSON.stringify({ error_code: 40301, message: `not authorized to ${what}` }));
}

/**
 * The broker's HTTP side (src/http does the serving, login and limits):
 * Prometheus scrapes /metrics, load balancers probe /healthz, people browse
 * the console at /, and programs use the Schema Registry API. The console
 * shows only what the logged-in principal may describe or read.
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const { services, metrics } = opts;
  const settings = httpSettings(services.config);
  const sampler = opts.console ? new ThroughputSampler(services, metrics.traffic, opts.sampleIntervalMs ?? 5000) : null;
  const actions = new ConsoleActions(services, settings.maxRequestBytes);
  const vendor = opts.console ? consoleVendorAssets() : { uplotJs: '', uplotCss: '' };
  const may = (caller: HttpCaller, op: number, type: number, name: string): boolean => services.authorizer?.authorize(caller, op, type, name) ?? true;
  const visibleTo = (caller: HttpCaller): Visible => ({
    topic: (name) => may(caller, AclOperation.DESCRIBE, ResourceType.TOPIC, name),
    group: (id) => may(caller, AclOperation.DESCRIBE, ResourceType.GROUP, id),
  });
  // a group's offsets and lag on topics the principal may not describe are left out, as OffsetFetch of all topics does
  const withVisibleTopics = <T extends GroupLagRow>(row: T, caller: HttpCaller): T => {
    const partitions = row.partitions.filter((p) => may(caller, AclOperation.DESCRIBE, ResourceType.TOPIC, p.topic));
    // the lag history sums every topic's lag: with some hidden it is left out rather than shown
    return partitions.length === row.partitions.length ? row : { ...row, partitions, totalLag: partitions.reduce((n, p) => n + p.lag, 0), ...('lagHistory' in row ? { lagHistory: [] } : {}) };
  };

  const consoleRoute = async (path: string, url: URL, caller: HttpCaller, req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    if (path === '/' || path === '/index.html') return sendText(res, 200, 'text/html; charset=utf-8', INDEX_HTML), true;
    if (path === '/console.js') return sendText(res, 200, 'text/javascript; charset=utf-8', CONSOLE_JS), true;
    if (path === '/console.css') return sendText(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS), true;
    if (path === '/api/whoami') return json(res, { principal: caller.principal }), true;
    if (path === '/vendor/uPlot.js') return sendText(res, 200, 'text/javascript; charset=utf-8', vendor.uplotJs, { 'cache-control': 'max-age=3600' }), true;
    if (path === '/vendor/uPlot.css') return sendText(res, 200, 'text/css; charset=utf-8', vendor.uplotCss, { 'cache-control': 'max-age=3600' }), true;
    if (path === '/console-pages.js') return sendText(res, 200, 'text/javascript; charset=utf-8', CONSOLE_PAGES_JS), true;
    if (path === '/api/rates') return json(res, sampler?.rateHistory('') ?? []), true;
    const action = await actions.handle(req.method ?? 'GET', path, url, caller, req).catch((err: unknown) => {
      if (err instanceof HttpError) return { status: err.status, body: { error_code: err.errorCode, message: err.message } };
      throw err;
    });
    if (action) return sendText(res, action.status, 'application/json', JSON.stringify(action.body)), true;
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'application/json', '{"error_code":405,"message":"only GET here"}'), true;
    if (path === '/api/overview') return json(res, overview(services, visibleTo(caller))), true;
    if (path === '/api/topics') return json(res, topicRows(services, sampler).filter((t) => may(caller, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name))), true;
    if (path === '/api/groups') return json(res, groupLag(services).filter((g) => may(caller, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId)).map((g) => withVisibleTopics(g, caller))), true;
    if (path === '/api/reassignments') return json(res, reassignmentRows(services).filter((r) => may(caller, AclOperation.DESCRIBE, ResourceType.TOPIC, r.topic))), true;
    if (path === '/api/scheduled') return json(res, await scheduledView(services, (t) => may(caller, AclOperation.DESCRIBE, ResourceType.TOPIC, t))), true;
    if (path === '/api/share-groups') return json(res, shareGroupRows(services).filter((g) => may(caller, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId))), true;
    let m = /^\/api\/topics\/([^/]+)$/.exec(path);
    if (m) {
      const name = decodePathPart(m[1]!);
      if (!may(caller, AclOperation.DESCRIBE, ResourceType.TOPIC, name)) return forbidden(res, `describe topic ${name}`), true;
      const detail = topicDetail(services, name);
      return json(res, detail && { ...detail, rateHistory: sampler?.rateHistory(name) ?? [] }), true;
    }
    m = /^\/api\/topics\/([^/]+)\/messages$/.exec(path);
    if (m) {
      const name = decodePathPart(m[1]!);
      if (!may(caller, AclOperation.READ, ResourceType.TOPIC, name)) return forbidden(res, `read topic ${name}`), true;
      const limit = Math.min(MAX_MESSAGES, Math.max(1, Number(url.searchParams.get('limit')) || 20));
      json(res, await latestMessages(services, name, limit));
      return true;
    }
    m = /^\/api\/groups\/([^/]+)$/.exec(path);
    if (m) {
      const name = decodePathPart(m[1]!);
      if (!may(caller, AclOperation.DESCRIBE, ResourceType.GROUP, name)) return forbidden(res, `describe group ${name}`), true;
      const detail = groupDetail(services, name, sampler);
      return json(res, detail && withVisibleTopics(detail, caller)), true;
    }
    return false;
  };

  const apis: RouteSet[] = [];
  const rest = settings.restProxy ? new RestApi(services, settings.maxRequestBytes, settings.consumerInstanceTimeoutMs) : null;
  if (rest) apis.push({ name: 'rest-proxy', routes: rest.routes(), contentType: REST_CONTENT_TYPE, prefixes: ['/v3/', '/consumers/'] });
  if (settings.schemaRegistry) apis.push({ name: 'schema-registry', routes: new RegistryApi(services, settings.schemasReplicationFactor).routes(), contentType: REGISTRY_CONTENT_TYPE });

  const server = await startHttpServer({
    host: opts.host,
    port: opts.port,
    services,
    settings,
    apis,
    logger: services.logger,
    handlers: {
      open: async (path, req, res) => {
        if (path === '/metrics' && req.method === 'GET') return sendText(res, 200, metrics.contentType, await metrics.render()), true;
        if (path === '/healthz') return sendText(res, 200, 'text/plain', 'ok\n'), true;
        return false;
      },
      console: opts.console ? consoleRoute : undefined,
    },
  });
  sampler?.start();
  return {
    host: server.host,
    port: server.port,
    secure: server.secure,
    close: async () => {
      sampler?.stop();
      await rest?.stop();
      await server.close();
    },
  };
}
