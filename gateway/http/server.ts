/**
 * The health, metrics and status HTTP server (node:http, no framework; issue 6). Read-only: every route
 * is GET. /healthz answers without auth so a local liveness probe needs no secret; everything else
 * needs the configured token or basic auth, if any.
 *
 *   /healthz     200 while the process serves requests
 *   /readyz      200 (ready, maybe degraded) or 503 (not ready), with the reasons (readiness.ts)
 *   /metrics     Prometheus text format
 *   /api/status  JSON (gateway/http/api-status.ts)
 *   /            the status page (static files in ./static, no build step)
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayStatus } from '../gateway.ts';
import type { Logger } from '../log.ts';
import { apiStatus } from './api-status.ts';
import { type HttpAuth, isAuthorized } from './auth.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { PollHealth } from './poll-health.ts';
import { readiness, readinessText } from './readiness.ts';

export interface StatusServerOptions {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly auth: HttpAuth;
  readonly status: () => GatewayStatus;
  readonly metrics: GatewayMetrics;
  readonly health: PollHealth;
  readonly version: string;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface StatusServer {
  /** e.g. http://127.0.0.1:9810 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

const STATIC: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: 'status.html', type: 'text/html; charset=utf-8' },
  '/status.js': { file: 'status.js', type: 'text/javascript; charset=utf-8' },
  '/status.css': { file: 'status.css', type: 'text/css; charset=utf-8' },
};

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const log = options.log.child({ component: 'http' });
  const now = options.now ?? Date.now;
  const startedAt = now();
  // Read once at start: the page is tiny and a request must not depend on the disk.
  const files = new Map<string, StaticFile>();
  for (const [path, { file, type }] of Object.entries(STATIC)) {
    files.set(path, { body: await readFile(new URL(`./static/${file}`, import.meta.url)), type });
  }

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(response, 405, 'text/plain', 'only GET\n', { allow: 'GET, HEAD' });
    }
    if (path === '/healthz') return send(response, 200, 'text/plain', 'ok\n');
    if (!isAuthorized(request, options.auth)) {
      const challenge =
        options.auth.basic === undefined ? 'Bearer realm="fieldbridge"' : 'Basic realm="fieldbridge"';
      return send(response, 401, 'text/plain', 'unauthorized\n', { 'www-authenticate': challenge });
    }
    switch (path) {
      case '/readyz': {
        const ready = readiness(options.status(), options.health);
        return send(response, ready.ready ? 200 : 503, 'text/plain; charset=utf-8', readinessText(ready));
      }
      case '/metrics': {
        const { body, contentType } = await options.metrics.render();
        return send(response, 200, contentType, body);
      }
      case '/api/status': {
        const body = apiStatus(options.status(), options.health, {
          version: options.version,
          startedAt,
          now: now(),
        });
        return send(response, 200, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
      }
      default: {
        const file = files.get(path);
        if (file === undefined) return send(response, 404, 'text/plain', `no such page: ${path}\n`);
        return send(response, 200, file.type, file.body);
      }
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error({ err: error, url: request.url }, 'HTTP request failed');
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
      else response.destroy();
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', (error) =>
      rejectListen(new Error(`http: cannot listen on ${options.host}:${options.port}: ${error.message}`)),
    );
    server.listen(options.port, options.host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  log.info('status page, health and metrics on %s', url);
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

function send(
  response: ServerResponse,
  code: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  response.writeHead(code, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
    ...headers,
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
