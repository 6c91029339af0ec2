/**
 * `fieldbridge run` as systemd runs it, end to end in a child process: a fake NOTIFY_SOCKET receives
 * READY=1 once the gateway is up; the HTTP server answers; SIGHUP with one device changed restarts only
 * that device (its simulator sees a new connection, the other's does not); SIGHUP with a broken file
 * keeps the gateway running and logs the problem; SIGTERM sends STOPPING=1 and exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusTcpSimulator } from '../../../simulators/modbus/simulator.ts';
import { type NotifyReceiver, startNotifyReceiver } from './notify-receiver.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MAPPING = join(REPO, 'test/fixtures/integration/plc-known.json');

interface LogLine {
  readonly msg: string;
  readonly [key: string]: unknown;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('fieldbridge run under a (fake) service manager', () => {
  const plcA = new ModbusTcpSimulator();
  const plcB = new ModbusTcpSimulator();
  let receiver: NotifyReceiver;
  let dir = '';
  let portA = 0;
  let portB = 0;
  let configFile = '';
  let child: ChildProcess;
  const logs: LogLine[] = [];

  const config = (pollB: number) => ({
    gateway: { id: 'svc', stateDir: dir },
    // Nothing listens there: the broker is down, which must not delay READY or the shutdown.
    mqtt: { url: 'mqtt://127.0.0.1:9', topicPrefix: 'svc' },
    queue: { type: 'memory' },
    http: { port: 0 },
    devices: [
      {
        name: 'a',
        driver: 'modbus-tcp',
        host: '127.0.0.1',
        port: portA,
        pollIntervalMs: 100,
        mapping: MAPPING,
      },
      {
        name: 'b',
        driver: 'modbus-tcp',
        host: '127.0.0.1',
        port: portB,
        pollIntervalMs: pollB,
        mapping: MAPPING,
      },
    ],
  });

  beforeAll(async () => {
    portA = (await plcA.listen(0)).port;
    portB = (await plcB.listen(0)).port;
    plcA.unit(1).holding.set([0x41ac, 0x0000], 0); // temperature 21.5
    receiver = await startNotifyReceiver();
    dir = await mkdtemp(join(tmpdir(), 'fb-svc-'));
    configFile = join(dir, 'gateway.json');
    await writeFile(configFile, JSON.stringify(config(100)));
    child = spawn(
      join(REPO, 'node_modules/.bin/node'),
      [join(REPO, 'bin/fieldbridge.mjs'), 'run', configFile],
      {
        env: { ...process.env, NOTIFY_SOCKET: receiver.socketPath, FIELDBRIDGE_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line });
      }
    });
  });

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all([plcA.close(), plcB.close(), receiver.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('runs, reloads only what changed, survives a broken config, and stops cleanly', async () => {
    await receiver.waitFor((m) => m.some((x) => x.startsWith('READY=1')));
    expect(receiver.messages[0]).toBe('READY=1\nSTATUS=running: 2 device(s)');
    const url = await until('the HTTP URL in the log', () =>
      logs.map((l) => /metrics on (http:\S+)/.exec(l.msg)?.[1]).find((u) => u !== undefined),
    );
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok\n');
    const temperature = await until('a good temperature from device a', async () => {
      const status = (await (await fetch(`${url}/api/status`)).json()) as {
        devices: { name: string; tags: { name: string; value: unknown; quality: string }[] }[];
      };
      const tag = status.devices.find((d) => d.name === 'a')?.tags.find((t) => t.name === 'temperature');
      return tag?.quality === 'good' ? tag : undefined;
    });
    expect(temperature.value).toBe(21.5);
    await until(
      'both devices connected',
      () => (plcA.connections === 1 && plcB.connections === 1) || undefined,
    );

    await writeFile(configFile, JSON.stringify(config(150)));
    child.kill('SIGHUP');
    const reloaded = await until('the reload', () => logs.find((l) => l.msg === 'config reloaded'));
    expect(reloaded).toMatchObject({ restarted: ['b'], unchanged: ['a'], added: [], removed: [] });
    await until('device b reconnecting', () => plcB.connections === 2 || undefined);
    expect(plcA.connections).toBe(1);

    await writeFile(configFile, '{ "mqtt": ');
    child.kill('SIGHUP');
    const refused = await until('the refusal', () => logs.find((l) => l.msg.startsWith('reload refused')));
    expect(refused.msg).toContain(configFile);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(plcA.connections).toBe(1);
    expect(plcB.connections).toBe(2);

    const exited = new Promise<number | null>((resolveExit) =>
      child.once('exit', (code) => resolveExit(code)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await receiver.waitFor((m) => m.some((x) => x.startsWith('STOPPING=1')));
    expect(logs.some((l) => l.msg === 'gateway stopped')).toBe(true);
  });
});
