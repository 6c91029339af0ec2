/**
 * Recovery beyond a plain server restart (issue 5): a network cut (through a TCP proxy), a cut longer
 * than the session timeout, a session the server closes, a server restart, and a node deleted while
 * subscribed. Asserts which recovery path was taken ("transfer when possible, rebuild otherwise").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpcUaDriver } from '../../../drivers/opcua/driver.ts';
import { type DeviceInstance, instantiate } from '../../../gateway/devices/device-plugin.ts';
import { opcUaPlugin } from '../../../gateway/devices/opcua.ts';
import type { OpcUaDeviceConfig } from '../../../mappings/opcua/device-schema.ts';
import type { OpcUaMapping } from '../../../mappings/opcua/schema.ts';
import {
  OPERATOR,
  OPERATOR_PASSWORD,
  PLANT_NS,
  startOpcUaServer,
  type TestOpcUaServer,
} from '../../helpers/opcua-server.ts';
import { type Collector, createCollector } from './collector.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const BAD_NODE_ID_INVALID = 0x80330000;
const BAD_NODE_ID_UNKNOWN = 0x80340000;

const mapping: OpcUaMapping = {
  groups: [
    {
      name: 'sub',
      mode: 'subscription',
      // Lifetime 60 × 200 ms = 12 s: longer than the cuts below, so the server keeps the subscription.
      publishingIntervalMs: 200,
      tags: [
        { name: 'counter', nodeId: `nsu=${PLANT_NS};s=Counter`, publish: { mode: 'always' } },
        { name: 'text', nodeId: `nsu=${PLANT_NS};s=String` },
        { name: 'doomed', nodeId: `nsu=${PLANT_NS};s=Double` },
      ],
    },
    {
      name: 'poll',
      mode: 'poll',
      pollIntervalMs: 200,
      tags: [
        { name: 'polledCounter', nodeId: `nsu=${PLANT_NS};s=Counter`, publish: { mode: 'always' } },
        { name: 'polledDoomed', nodeId: `nsu=${PLANT_NS};s=Double` },
      ],
    },
  ],
};
const ALL = ['counter', 'text', 'doomed', 'polledCounter', 'polledDoomed'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OPC UA driver recovery: network loss, session timeout, transfer or rebuild', () => {
  let dir: string;
  let server: TestOpcUaServer;
  let proxy: TcpProxy;
  let collector: Collector;
  let instance: DeviceInstance;
  let driver: OpcUaDriver;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  /** Waits until every tag in `names` has received a good value at or after `since`. */
  const allGoodSince = (since: number, names = ALL) =>
    collector.waitFor(
      `good values since ${new Date(since).toISOString()}`,
      () =>
        names.every(
          (n) => collector.latest.get(n)?.quality === 'good' && (collector.receivedAt.get(n) ?? 0) >= since,
        ),
      20_000,
    );
  const linesSince = (from: number, text: string) =>
    collector.logLines.slice(from).filter((l) => l.includes(text));

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-opcua-recovery-'));
    server = await startOpcUaServer({ dir });
    proxy = await startTcpProxy(server.port);
    collector = createCollector();
    const device: OpcUaDeviceConfig = {
      name: 'flaky-plc',
      driver: 'opcua',
      endpoint: `opc.tcp://127.0.0.1:${proxy.port}`,
      securityMode: 'None',
      allowInsecure: true,
      // A transfer needs the same user on both sessions (Part 4, 5.13.7); anonymous on an unsecured
      // channel is refused, which would make every resume a rebuild.
      user: { username: OPERATOR, password: { env: 'PW' } },
      sessionTimeoutMs: 1500,
      timeoutMs: 1000,
      mapping: 'flaky.json',
    };
    const context = { stateDir: join(dir, 'state'), env: { PW: OPERATOR_PASSWORD } };
    instance = instantiate(opcUaPlugin.compile(device, mapping, collector.log, context), collector);
    driver = instance.driver as OpcUaDriver;
    await driver.start();
    await allGoodSince(0);
  });

  afterAll(async () => {
    await instance?.driver.stop();
    await proxy?.close();
    await server?.stop();
    process.off('unhandledRejection', onUnhandled);
    await rm(dir, { recursive: true, force: true });
  });

  it('a short network cut: the session is reactivated with its subscriptions, one log line per change', async () => {
    const lines = collector.logLines.length;
    const states = collector.states.length;
    proxy.cut();
    await collector.waitFor('the break', () => collector.states.slice(states).includes('disconnected'));
    expect(collector.latest.get('text')).toMatchObject({ quality: 'bad', code: 0x808a0000 });
    await sleep(500);
    proxy.restore();
    const restoredAt = Date.now();
    await allGoodSince(restoredAt);
    expect(driver.stats.resumes).toEqual({ reactivated: 1, transferred: 0, 'new-session': 0 });
    expect(driver.stats.rebuilds).toBe(0);
    expect(collector.states.slice(states)).toEqual(['disconnected', 'connected']);
    expect(linesSince(lines, 'OPC UA connection lost')).toHaveLength(1);
    expect(linesSince(lines, 'OPC UA session resumed (session reactivated')).toHaveLength(1);
    expect(collector.latest.get('text')?.value).toBe('héllo');
    expect(collector.latest.get('doomed')?.value).toBe(3.25);
  });

  it('a cut longer than the session timeout: the subscriptions are transferred to a new session', async () => {
    const lines = collector.logLines.length;
    const states = collector.states.length;
    proxy.cut();
    // The server times the session out (1.5 s) but keeps its subscriptions (lifetime 12 s).
    await sleep(3500);
    proxy.restore();
    const restoredAt = Date.now();
    await allGoodSince(restoredAt);
    expect(driver.stats.resumes).toMatchObject({ transferred: 1 });
    expect(driver.stats.rebuilds).toBe(0);
    expect(collector.states.slice(states)).toEqual(['disconnected', 'connected']);
    expect(linesSince(lines, 'OPC UA connection lost')).toHaveLength(1);
    expect(linesSince(lines, 'OPC UA session resumed (subscriptions transferred')).toHaveLength(1);
  }, 30_000);

  it('a session the server closes while connected: subscriptions transferred, values resume', async () => {
    const transferred = driver.stats.resumes.transferred;
    await server.closeSessions();
    const closedAt = Date.now();
    await collector.waitFor('a new session', () => driver.stats.resumes.transferred > transferred);
    await allGoodSince(closedAt);
    expect(driver.stats.rebuilds).toBe(0);
  }, 30_000);

  it('a server restart: the resume is refused and the session and subscriptions are rebuilt', async () => {
    const lines = collector.logLines.length;
    const rebuilds = driver.stats.rebuilds;
    await server.restart();
    const restartedAt = Date.now();
    await allGoodSince(restartedAt);
    expect(driver.stats.rebuilds).toBe(rebuilds + 1);
    expect(linesSince(lines, 'OPC UA session established (rebuilt')).toHaveLength(1);
    expect(collector.latest.get('text')?.value).toBe('héllo');
  }, 30_000);

  it('a node deleted while subscribed: only its tags go bad, with the status code kept', async () => {
    server.deleteVariable('Double');
    const deletedAt = Date.now();
    await collector.waitFor(
      'the deleted node to go bad',
      () =>
        collector.latest.get('doomed')?.quality === 'bad' &&
        collector.latest.get('polledDoomed')?.quality === 'bad',
    );
    expect(collector.latest.get('doomed')).toMatchObject({ value: null, code: BAD_NODE_ID_INVALID });
    expect(collector.latest.get('doomed')?.error).toContain('BadNodeIdInvalid');
    expect(collector.latest.get('polledDoomed')).toMatchObject({ value: null, code: BAD_NODE_ID_UNKNOWN });
    await allGoodSince(deletedAt, ['counter', 'polledCounter']);
    expect(collector.latest.get('text')?.quality).toBe('good');
  });

  it('had no unhandled rejections', () => {
    expect(unhandled).toEqual([]);
  });
});
