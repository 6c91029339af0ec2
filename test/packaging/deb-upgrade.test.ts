/**
 * Upgrading with dpkg keeps what the site has: the amd64 package of an earlier version is installed in
 * a throwaway root (throwaway-root.ts), the operator's config is written, and the installed gateway
 * runs as the service user against a simulated PLC while the broker is down, so its queue fills. Then
 * the current package is installed over it. The config, a mapping file of the site's own, the
 * credential and every queued message (seq, topic, payload, read from the LevelDB before and after)
 * must be unchanged, and the upgraded gateway, once a real Mosquitto is up on the broker's port, must
 * deliver every one of them, flagged historical.
 */
import type { ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MAPPING } from '../../gateway/commands/demo.ts';
import { type SimulatedPlc, startSimulatedPlc } from '../../gateway/demo/simulated-plc.ts';
import { createLogger } from '../../gateway/log.ts';
import { LevelQueue } from '../../gateway/queue/level-queue.ts';
import { LAYOUT } from '../../packaging/lib/layout.ts';
import { freePort, type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { isHistorical, type Subscriber, startSubscriber } from '../helpers/subscriber.ts';
import { type TestPackages, testPackages } from './test-packages.ts';
import { createThrowawayRoot, type RunResult, type ThrowawayRoot } from './throwaway-root.ts';

const AS_SERVICE_USER = ['setpriv', '--reuid=fieldbridge', '--regid=fieldbridge', '--init-groups'];
const CONFIG = `${LAYOUT.etc}/gateway.json`;
const SITE_MAPPING = `${LAYOUT.etc}/mappings/site-skid.json`;
const CREDENTIAL = `${LAYOUT.etc}/credentials/mqtt-password`;
const QUEUE = `${LAYOUT.state}/queue`;
/** Two full polls of the demo mapping's 26 tags ("always" publishes every tag every poll). */
const MIN_QUEUED = 52;

interface StoredMessage {
  readonly seq: number;
  readonly topic: string;
  readonly payload: string;
}

function ok(result: RunResult): string {
  expect(result, `${result.stdout}\n${result.stderr}`).toMatchObject({ code: 0 });
  return result.stdout;
}

/** Every message in a copy of the queue (LevelDB writes to the directory it opens). */
async function readQueue(dir: string): Promise<StoredMessage[]> {
  const copy = await mkdtemp(join(tmpdir(), 'fb-queue-copy-'));
  try {
    await cp(dir, join(copy, 'queue'), { recursive: true });
    const queue = new LevelQueue({ dir: join(copy, 'queue'), log: createLogger({ level: 'silent' }) });
    await queue.open();
    const messages = await queue.read(0, 1_000_000);
    await queue.close();
    return messages.map((m) => ({ seq: m.seq, topic: m.topic, payload: m.payload.toString() }));
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

function siteConfig(plcPort: number, brokerPort: number, httpPort: number): string {
  const device = {
    name: 'skid',
    driver: 'modbus-tcp',
    host: '127.0.0.1',
    port: plcPort,
    unitId: 1,
    pollIntervalMs: 200,
    mapping: 'mappings/site-skid.json',
    publish: { mode: 'always' },
  };
  const config = {
    gateway: { id: 'upgrade-test', stateDir: LAYOUT.state },
    mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, topicPrefix: 'plant' },
    queue: { type: 'level' },
    http: { host: '127.0.0.1', port: httpPort },
    devices: [device],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

interface GatewayStatus {
  readonly gateway: { readonly version: string };
  readonly broker: { readonly acknowledged: number };
  readonly queue: { readonly depth: number };
}

/** The running gateway's /api/status, or undefined while it does not answer yet. */
async function status(httpPort: number): Promise<GatewayStatus | undefined> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/api/status`).catch(() => undefined);
  return response?.ok === true ? ((await response.json()) as GatewayStatus) : undefined;
}

function startGateway(root: ThrowawayRoot): { child: ChildProcess; stop(): Promise<number | null> } {
  const child = root.spawn([...AS_SERVICE_USER, LAYOUT.command, 'run', CONFIG]);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return {
    child,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      expect(code, output).toBe(0);
      return code;
    },
  };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('upgrading the amd64 package with a non-empty queue', () => {
  let packages: TestPackages;
  let root: ThrowawayRoot;
  let plc: SimulatedPlc;
  let broker: Mosquitto | undefined;
  let subscriber: Subscriber | undefined;

  beforeAll(async () => {
    packages = await testPackages();
    root = await createThrowawayRoot();
    ok(await root.run(['rm', '-f', '/var/lib/man-db/auto-update']));
    plc = await startSimulatedPlc(DEMO_MAPPING, createLogger({ level: 'silent' }));
  }, 600_000);
  afterAll(async () => {
    await subscriber?.close();
    await broker?.stop();
    await plc?.stop();
    await root?.dispose();
  });

  it('keeps config, credential and queue, and the new version delivers every queued message', async () => {
    const [brokerPort, httpPort] = [await freePort(), await freePort()];
    ok(await root.run(['dpkg', '-i', packages.previousAmd64.file], { timeoutMs: 120_000 }));
    const config = siteConfig(plc.port, brokerPort, httpPort);
    ok(await root.sh('cat > "$1"', [CONFIG], { input: config }));
    ok(await root.run(['cp', `${LAYOUT.etc}/mappings/demo-plc.json`, SITE_MAPPING]));
    ok(await root.sh('printf site-secret > "$1"', [CREDENTIAL]));
    const siteMapping = ok(await root.run(['cat', SITE_MAPPING]));

    // The old version polls while the broker is down: everything it reads waits in the queue.
    const old = startGateway(root);
    await until(
      `${MIN_QUEUED} queued messages`,
      async () => ((await status(httpPort))?.queue.depth ?? 0) >= MIN_QUEUED,
    );
    expect((await status(httpPort))?.gateway.version).toBe(packages.previousVersion);
    await old.stop();
    const queued = await readQueue(root.createdPath(QUEUE));
    expect(queued.length).toBeGreaterThanOrEqual(MIN_QUEUED);

    const upgrade = ok(await root.run(['dpkg', '-i', packages.amd64.file], { timeoutMs: 120_000 }));
    expect(upgrade).toContain(`over (${packages.previousVersion})`);
    expect(upgrade).toContain(`Setting up fieldbridge (${packages.version})`);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format
    expect(ok(await root.run(['dpkg-query', '-W', '-f=${Version}', 'fieldbridge']))).toBe(packages.version);
    expect(ok(await root.run(['cat', CONFIG]))).toBe(config);
    expect(ok(await root.run(['cat', SITE_MAPPING]))).toBe(siteMapping);
    expect(ok(await root.run(['cat', CREDENTIAL]))).toBe('site-secret');
    expect(ok(await root.run(['stat', '-c', '%U:%G %a', LAYOUT.etc])).trim()).toBe('root:fieldbridge 750');
    expect(await readQueue(root.createdPath(QUEUE))).toEqual(queued);

    // The broker comes up; the upgraded gateway sends the backlog.
    broker = await startMosquitto({ port: brokerPort });
    subscriber = await startSubscriber({ url: broker.url, topics: ['plant/#'] });
    const upgraded = startGateway(root);
    const seqs = queued.map((m) => m.seq);
    const sub = subscriber;
    await sub.waitFor(() => sub.counts(seqs).missing.length === 0, 30_000);
    // Stopped only once it also delivers live data (a poll beyond the backlog): a SIGTERM in the first
    // moments of a start, before the gateway handles it, would end the process without its clean stop.
    const delivering = async () => ((await status(httpPort))?.broker.acknowledged ?? 0) >= seqs.length + 26;
    await until('live messages after the backlog', delivering);
    expect((await status(httpPort))?.gateway.version).toBe(packages.version);
    await upgraded.stop();

    expect(subscriber.counts(seqs).missing).toEqual([]);
    const bySeq = new Map(
      subscriber.messages.map((m) => [JSON.parse(m.payload.toString()).seq as number, m]),
    );
    for (const stored of queued) {
      const delivered = bySeq.get(stored.seq);
      expect(delivered?.topic, `seq ${stored.seq}`).toBe(stored.topic);
      expect(delivered !== undefined && isHistorical(delivered), `seq ${stored.seq} historical`).toBe(true);
    }
  }, 240_000);
});
