import * as http from 'node:http';
import type { BrokerServices } from '../handlers/types';
import type { BrokerMetrics } from '../metrics/brokerMetrics';
import { CONSOLE_CSS, CONSOLE_JS, INDEX_HTML } from './assets/page';
import { groupDetail, latestMessages, overview, reassignmentRows, topicDetail, topicRows } from './consoleData';
import { shareGroupRows } from '../share/consoleView';
import { groupLag } from '../metrics/groupLag';
import { ThroughputSampler } from './sampler';

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
  close(): Promise<void>;
}

const MAX_MESSAGES = 200;

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function json(res: http.ServerResponse, value: unknown): void {
  if (value === null) return send(res, 404, 'application/json', '{"error":"not found"}');
  send(res, 200, 'application/json', JSON.stringify(value));
}

/**
 * The broker's HTTP side: Prometheus scrapes /metrics, load balancers probe
 * /healthz, and with the console on, people browse / (read-only; nothing
 * here changes broker state).
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const { services, metrics } = opts;
  const sampler = opts.console ? new ThroughputSampler(services, metrics.traffic, opts.sampleIntervalMs ?? 5000) : null;

  const consoleRoute = async (path: string, url: URL, res: http.ServerResponse): Promise<boolean> => {
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', INDEX_HTML), true;
    if (path === '/console.js') return send(res, 200, 'text/javascript; charset=utf-8', CONSOLE_JS), true;
    if (path === '/console.css') return send(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS), true;
    if (path === '/api/overview') return json(res, overview(services)), true;
    if (path === '/api/topics') return json(res, topicRows(services, sampler)), true;
    if (path === '/api/groups') return json(res, groupLag(services)), true;
    if (path === '/api/reassignments') return json(res, reassignmentRows(services)), true;
    if (path === '/api/share-groups') return json(res, shareGroupRows(services)), true;
    let m = /^\/api\/topics\/([^/]+)$/.exec(path);
    if (m) return json(res, topicDetail(services, decodeURIComponent(m[1]!))), true;
    m = /^\/api\/topics\/([^/]+)\/messages$/.exec(path);
    if (m) {
      const limit = Math.min(MAX_MESSAGES, Math.max(1, Number(url.searchParams.get('limit')) || 20));
      json(res, await latestMessages(services, decodeURIComponent(m[1]!), limit));
      return true;
    }
    m = /^\/api\/groups\/([^/]+)$/.exec(path);
    if (m) return json(res, groupDetail(services, decodeURIComponent(m[1]!), sampler)), true;
    return false;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET\n');
    (async () => {
      if (path === '/metrics') return send(res, 200, metrics.contentType, await metrics.render());
      if (path === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
      if (opts.console && (await consoleRoute(path, url, res))) return;
      send(res, 404, 'text/plain', opts.console ? 'not found\n' : 'not found (the web console is off; start the broker with --console)\n');
    })().catch((err: unknown) => {
      services.logger.warn({ path, err: err instanceof Error ? err.message : String(err) }, 'ops http request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });
  // Browsers keep connections alive; do not let them hold up broker shutdown.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  sampler?.start();
  const addr = server.address() as import('node:net').AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        sampler?.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
