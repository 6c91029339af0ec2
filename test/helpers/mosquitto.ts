/**
 * A real Mosquitto (/usr/sbin/mosquitto) for integration tests, on a free port bound to 127.0.0.1 only
 * (never 1883: a system broker already listens there).
 *
 *   const broker = await startMosquitto();                       // plain mqtt://
 *   const tls = await startMosquitto({ tls: { certs, requireClientCert: true } });  // mqtts://, mTLS
 *   const acl = await startMosquitto({ acl: ['topic readwrite ok/#', 'topic read #'] });  // acl_file
 *   await broker.restart();  // graceful stop + start on the same port
 *   await broker.kill();     // SIGKILL, for crash tests
 *   afterAll(() => stopAll(brokers));
 *
 * Why the config looks like it does:
 * - `max_queued_messages 1000000`, `max_queued_bytes 0`, `max_inflight_messages 0`: Mosquitto's defaults
 *   (1000 queued, 20 in flight) silently drop QoS 1 messages for a slow or offline subscriber, which a
 *   test would misread as loss by the publisher.
 * - `persistence`: off by default. A restart test that must measure loss needs it ON (`persistence:
 *   true`): then a graceful restart saves the subscriber's session (subscriptions and the messages queued
 *   for it) in this broker's own temp dir, so messages the broker acknowledged to the publisher but had
 *   not yet delivered survive the restart. Without it such messages vanish inside the broker and the
 *   subscriber would have to be subscribed again before the publisher resends, which cannot be ordered.
 *   `kill()` (SIGKILL) skips the save, so use it only where loss inside the broker is acceptable.
 * - `acl`: the lines of an ACL file (`acl_file`) for anonymous clients (every test client is anonymous):
 *   Mosquitto then refuses a publish to any other topic (MQTT 5: negative PUBACK 0x87; MQTT 3.1.1:
 *   acknowledged and silently dropped, the protocol has no way to say no) and delivers nothing from a
 *   topic a subscriber may not read.
 * - `user root`: run as root, Mosquitto would otherwise switch to the `mosquitto` user and fail to read
 *   the key files and the persistence dir in our temp dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCerts } from './certs.ts';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export interface MosquittoTlsOptions {
  readonly certs: TestCerts;
  /** Refuse clients without a certificate signed by `certs.ca` (mutual TLS). Default false. */
  readonly requireClientCert?: boolean;
  /** Which certificate the broker presents. Default 'good'. */
  readonly serverCert?: 'good' | 'wrong-host' | 'unknown-ca';
}

export interface MosquittoOptions {
  readonly tls?: MosquittoTlsOptions;
  /** Default: a free port chosen by the OS. */
  readonly port?: number;
  /** Save sessions and queued messages on graceful stop (see the header). Default false. */
  readonly persistence?: boolean;
  /** Mosquitto's `max_inflight_messages` (also the Receive Maximum it announces). Default 0 = unlimited. */
  readonly maxInflightMessages?: number;
  /** ACL file lines (`topic read|write|readwrite <filter>`, see the header). Default: no ACL, all allowed. */
  readonly acl?: readonly string[];
  /** Extra lines appended to the generated mosquitto.conf. */
  readonly extraConfig?: readonly string[];
}

export interface Mosquitto {
  readonly port: number;
  /** mqtt://127.0.0.1:port or mqtts://127.0.0.1:port. */
  readonly url: string;
  /** The broker's temp dir (config, persistence, log). */
  readonly dir: string;
  /** True while the process runs. */
  readonly running: boolean;
  /** Everything Mosquitto wrote to stdout/stderr so far (for failure messages). */
  output(): string;
  /** Graceful stop (SIGTERM; with persistence the session database is written). */
  stop(): Promise<void>;
  /** SIGKILL: a crash, nothing saved. */
  kill(): Promise<void>;
  /** Starts the broker again on the same port (stopping it first if it runs). */
  restart(): Promise<void>;
  /** Stops the broker and removes its temp dir. */
  dispose(): Promise<void>;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'fieldbridge-mosquitto-'));
  const confPath = join(dir, 'mosquitto.conf');
  if (options.acl !== undefined) await writeFile(join(dir, 'acl'), `${options.acl.join('\n')}\n`);
  await writeFile(confPath, mosquittoConfig(options, port, dir));
  const url = `${options.tls === undefined ? 'mqtt' : 'mqtts'}://127.0.0.1:${port}`;

  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    await waitForPortFree(port);
    const proc = spawn(MOSQUITTO_BIN, ['-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    await waitForListening(port, proc, () => output);
  };

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(sig);
    await exited;
  };

  await launch();
  return {
    port,
    url,
    dir,
    get running() {
      return child !== undefined;
    },
    output: () => output,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    restart: async () => {
      await signal('SIGTERM');
      await launch();
    },
    dispose: async () => {
      await signal('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** For afterAll: disposes every broker, never throws. */
export async function stopAll(brokers: readonly Mosquitto[]): Promise<void> {
  await Promise.allSettled(brokers.map((b) => b.dispose()));
}

function mosquittoConfig(options: MosquittoOptions, port: number, dir: string): string {
  const lines = [
    'user root',
    'per_listener_settings false',
    'allow_anonymous true',
    `persistence ${options.persistence === true ? 'true' : 'false'}`,
    `persistence_location ${dir}/`,
    // Only our explicit stop writes the database; no periodic saves in the middle of a test.
    'autosave_interval 0',
    'max_queued_messages 1000000',
    'max_queued_bytes 0',
    `max_inflight_messages ${options.maxInflightMessages ?? 0}`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    `listener ${port} 127.0.0.1`,
  ];
  const tls = options.tls;
  if (tls !== undefined) {
    const which = tls.serverCert ?? 'good';
    const server =
      which === 'good'
        ? tls.certs.server
        : which === 'wrong-host'
          ? tls.certs.wrongHost
          : tls.certs.unknownCaServer;
    lines.push(`cafile ${tls.certs.ca.cert}`, `certfile ${server.cert}`, `keyfile ${server.key}`);
    if (tls.requireClientCert === true) lines.push('require_certificate true');
  }
  if (options.acl !== undefined) lines.push(`acl_file ${dir}/acl`);
  lines.push(...(options.extraConfig ?? []));
  return `${lines.join('\n')}\n`;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const START_TIMEOUT_MS = 5000;

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForListening(port: number, proc: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`mosquitto on port ${port} exited during start:\n${output()}`);
    }
    if (await tryConnect(port)) return;
    await sleep(20);
  }
  proc.kill('SIGKILL');
  throw new Error(
    `mosquitto did not accept connections on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms:\n${output()}`,
  );
}

/** A restart must bind the same port: wait until nothing listens there any more. */
async function waitForPortFree(port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!(await tryConnect(port))) return;
    await sleep(20);
  }
  throw new Error(`port ${port} is still in use; cannot start mosquitto there`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
