/**
 * The HTTP server against a scripted gateway status: every route, readiness reasons, metrics content
 * (per-device histogram, error kinds, queue and MQTT numbers), and auth when configured.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayStatus } from '../../../gateway/gateway.ts';
import type { ApiDevice, ApiStatus } from '../../../gateway/http/api-status.ts';
import { resolveHttpAuth } from '../../../gateway/http/auth.ts';
import { GatewayMetrics } from '../../../gateway/http/metrics.ts';
import { PollHealth } from '../../../gateway/http/poll-health.ts';
import { type StatusServer, startStatusServer } from '../../../gateway/http/server.ts';
import { createLogger } from '../../../gateway/log.ts';

const log = createLogger({ level: 'silent', pretty: false });
const NOW = 1_700_000_000_000;

function gatewayStatus(overrides: { connected?: boolean; degraded?: boolean } = {}): GatewayStatus {
  return {
    id: 'gw1',
    boot: 'boot-1',
    devices: [
      {
        name: 'plc1',
        driver: 'modbus-tcp',
        state: 'connected',
        lastError: undefined,
        polls: 7,
        published: 9,
        enqueueErrors: 5,
        tagNames: ['temperature', 'pressure', 'flow'],
        tags: [
          { tag: 'temperature', value: 21.5, quality: 'good', ts: NOW - 250 },
          { tag: 'pressure', value: null, quality: 'bad', ts: NOW - 100, error: 'timeout after 1000 ms' },
          undefined,
        ],
      },
    ],
    publisher: {
      published: 40,
      acknowledged: 38,
      resent: 2,
      replayed: 5,
      rejected: 0,
      reconnects: 1,
      inflight: 2,
      peakInflight: 10,
      window: 100,
      connected: overrides.connected ?? true,
      lastError: overrides.connected === false ? 'connect ECONNREFUSED 127.0.0.1:1883' : undefined,
    },
    queue: {
      depth: 12,
      bytes: 3456,
      oldestEnqueuedAt: NOW - 30_000,
      dropped: 3,
      nextSeq: 1000,
      degraded: overrides.degraded ?? false,
      notQueued: { write_failed: 30_225, back_pressure: 17 },
      pendingBytes: 4096,
      unstoredSeqs: { from: 900, to: 950 },
      storeDamage: {
        movedTo: '/var/lib/fieldbridge/queue.corrupt-20261202T000000-000Z',
        walCopy: undefined,
        lostMessages: 12,
        lostSeqs: [[100, 111]],
        lossKnown: true,
      },
    },
  };
}

describe('status HTTP server', () => {
  const servers: StatusServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function start(options: {
    status?: () => GatewayStatus;
    health?: PollHealth;
    auth?: Parameters<typeof startStatusServer>[0]['auth'];
  }) {
    const status = options.status ?? (() => gatewayStatus());
    const metrics = new GatewayMetrics({ status, version: '9.9.9', now: () => NOW });
    const server = await startStatusServer({
      host: '127.0.0.1',
      port: 0,
      auth: options.auth ?? {},
      status,
      metrics,
      health: options.health ?? new PollHealth(),
      version: '9.9.9',
      log,
      now: () => NOW,
    });
    servers.push(server);
    return { server, metrics };
  }

  it('answers /healthz, /readyz, /api/status and the status page', async () => {
    const { server } = await start({});
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('ok\n');
    const ready = await fetch(`${server.url}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);

    const body = (await (await fetch(`${server.url}/api/status`)).json()) as ApiStatus & {
      devices: ApiDevice[];
    };
    expect(body.gateway).toMatchObject({ id: 'gw1', version: '9.9.9', ready: true, problems: [] });
    expect(body.queue).toEqual({
      depth: 12,
      bytes: 3456,
      oldestAgeSeconds: 30,
      dropped: 3,
      degraded: false,
      notQueued: { writeFailed: 30_225, backPressure: 17 },
      pendingBytes: 4096,
      unstoredSeqs: { from: 900, to: 950 },
      storeDamage: {
        movedTo: '/var/lib/fieldbridge/queue.corrupt-20261202T000000-000Z',
        walCopy: null,
        lostMessages: 12,
        lossKnown: true,
      },
    });
    expect(body.devices[0]?.notQueued).toBe(5);
    expect(body.devices[0]?.tags).toEqual([
      { name: 'temperature', value: 21.5, quality: 'good', ts: NOW - 250, ageMs: 250 },
      {
        name: 'pressure',
        value: null,
        quality: 'bad',
        ts: NOW - 100,
        ageMs: 100,
        error: 'timeout after 1000 ms',
      },
      // Configured but not read yet: still listed, so the page shows every tag from the start.
      { name: 'flow', value: null, quality: 'unread', ts: null, ageMs: null },
    ]);

    const page = await fetch(`${server.url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<script src="status.js" defer>');
    expect((await fetch(`${server.url}/status.js`)).status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('/readyz lists why it is not ready: broker, queue, a device over its error budget', async () => {
    const health = new PollHealth();
    const bad = [{ tag: 't', value: null, quality: 'bad' as const, ts: NOW, error: 'timeout' }];
    for (let i = 0; i < 5; i++) health.record('plc1', bad);
    const { server } = await start({
      status: () => gatewayStatus({ connected: false, degraded: true }),
      health,
    });
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe(
      'not ready:\n' +
        '- broker not connected: connect ECONNREFUSED 127.0.0.1:1883\n' +
        '- queue writes are failing (disk full or read-only?)\n' +
        '- device plc1: 100% of recent polls failed\n',
    );
  });

  it('/metrics exposes poll durations, error kinds, tags, queue and MQTT numbers', async () => {
    const { server, metrics } = await start({});
    metrics.observePoll('plc1', 20, [{ tag: 't', value: 1, quality: 'good', ts: NOW }]);
    metrics.observePoll('plc1', 300, [
      { tag: 't', value: null, quality: 'bad', ts: NOW, error: 'timeout after 1000 ms' },
      { tag: 'u', value: null, quality: 'bad', ts: NOW, error: 'Modbus exception 02', code: 2 },
    ]);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const line of [
      'fieldbridge_device_poll_duration_seconds_count{device="plc1"} 2',
      'fieldbridge_device_poll_duration_seconds_bucket{le="0.025",device="plc1"} 1',
      'fieldbridge_device_polls_total{device="plc1"} 2',
      'fieldbridge_device_errors_total{device="plc1",kind="timeout"} 1',
      'fieldbridge_device_errors_total{device="plc1",kind="exception"} 1',
      'fieldbridge_tags{device="plc1",quality="good"} 1',
      'fieldbridge_tags{device="plc1",quality="bad"} 1',
      'fieldbridge_device_connected{device="plc1"} 1',
      'fieldbridge_queue_depth_messages 12',
      'fieldbridge_queue_bytes 3456',
      'fieldbridge_queue_oldest_age_seconds 30',
      'fieldbridge_queue_dropped_total 3',
      'fieldbridge_queue_not_queued_total{reason="write_failed"} 30225',
      'fieldbridge_queue_not_queued_total{reason="back_pressure"} 17',
      'fieldbridge_device_not_queued_total{device="plc1"} 5',
      'fieldbridge_queue_pending_bytes 4096',
      'fieldbridge_queue_store_damaged_total 1',
      'fieldbridge_queue_store_lost_total 12',
      'fieldbridge_mqtt_published_total 40',
      'fieldbridge_mqtt_acknowledged_total 38',
      'fieldbridge_mqtt_replayed_total 5',
      'fieldbridge_mqtt_reconnects_total 1',
      'fieldbridge_mqtt_connected 1',
      `fieldbridge_build_info{version="9.9.9",node="${process.version}"} 1`,
    ]) {
      expect(text.split('\n'), line).toContain(line);
    }
    expect(text).toMatch(/^fieldbridge_event_loop_lag_seconds\{stat="p99"\} /m);
  });

  it('two gateways in one process keep separate metrics (no global registry)', async () => {
    const a = await start({});
    const b = await start({});
    a.metrics.observePoll('plc1', 10, []);
    const textB = await (await fetch(`${b.server.url}/metrics`)).text();
    expect(textB).not.toContain('fieldbridge_device_polls_total{device="plc1"}');
  });

  it('requires the token for everything but /healthz', async () => {
    const { server } = await start({ auth: { token: 's3cret' } });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const denied = await fetch(`${server.url}/api/status`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer realm="fieldbridge"');
    expect(
      (await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer s3cret' } })).status,
    ).toBe(200);
  });

  it('accepts basic auth', async () => {
    const { server } = await start({ auth: { basic: { username: 'ops', password: 'pw' } } });
    const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
    expect((await fetch(`${server.url}/`, { headers: { authorization: basic('ops', 'pw') } })).status).toBe(
      200,
    );
    expect((await fetch(`${server.url}/`, { headers: { authorization: basic('ops', 'nope') } })).status).toBe(
      401,
    );
  });
});

describe('resolveHttpAuth', () => {
  it('refuses a non-loopback address without auth', () => {
    expect(() => resolveHttpAuth({}, '0.0.0.0', {})).toThrow(
      'http: listening on 0.0.0.0 (not loopback) needs "token" or "username"+"password"; or keep the default host 127.0.0.1',
    );
    expect(resolveHttpAuth({}, '127.0.0.1', {})).toEqual({});
    expect(resolveHttpAuth({}, '::1', {})).toEqual({});
  });

  it('resolves the token from its SecretRef and checks basic auth is complete', () => {
    expect(resolveHttpAuth({ token: { env: 'FB_TOKEN' } }, '0.0.0.0', { FB_TOKEN: 'abc' })).toEqual({
      token: 'abc',
    });
    expect(() => resolveHttpAuth({ username: 'ops' }, '127.0.0.1', {})).toThrow(
      'http: basic auth needs both "username" and "password"',
    );
    expect(() => resolveHttpAuth({ token: { env: 'MISSING' } }, '0.0.0.0', {})).toThrow(
      'HTTP token: environment variable MISSING is not set',
    );
  });
});
