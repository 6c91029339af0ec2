/**
 * The real gateway as a separate process (`node bin/fieldbridge.mjs run <config>`), for fault tests that
 * must kill it: SIGTERM, SIGKILL, a second process on the same state dir. In-process tests cannot do
 * that, and only a real process proves what the LevelDB files on disk hold after a kill.
 *
 *   const gw = await prepareGateway({ mqttUrl: broker.url, devices: [{ name: 'plc1', port }], mapping });
 *   const run = await gw.start();          // waits for "gateway running"
 *   await run.kill();                      // SIGKILL
 *   const again = await gw.start();        // same config, same state dir (and queue)
 *   await again.stop();                    // SIGTERM; resolves with the exit code
 *   await gw.dispose();
 *
 * Logs: the gateway writes pino JSON lines to stdout (stdout is a pipe, so not pretty); each run keeps
 * them parsed in `run.logs` for assertions, anything else (stderr, non-JSON) in `run.output()`.
 * `process.execPath` is the Node 24 from node_modules that vitest runs on, never the machine's node.
 *
 * Any driver: `deviceConfigs` are written as given (their `mapping` paths relative to the config file),
 * with `mappingFiles` (relative path → JSON) beside the config. `service: true` starts the process as
 * systemd/fieldbridge.service does: the node flags of its ExecStart, its Environment=, the state dir as
 * working dir (serviceLaunch reads them from the unit file).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/fieldbridge.mjs', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 15_000;
const UNIT_FILE = fileURLToPath(new URL('../../systemd/fieldbridge.service', import.meta.url));

/** How systemd/fieldbridge.service starts the gateway: node's flags before the script, and Environment=. */
export interface ServiceLaunch {
  readonly nodeFlags: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Read from the unit file itself, so that the tests start the gateway as the shipped unit does even
 * after the unit changes. Throws if ExecStart no longer has the `<node> [flags] …/bin/fieldbridge.mjs run`
 * shape this understands.
 */
export function serviceLaunch(unitText = readFileSync(UNIT_FILE, 'utf8')): ServiceLaunch {
  const lines = unitText.split('\n').map((l) => l.trim());
  const execStart = lines.find((l) => l.startsWith('ExecStart='))?.slice('ExecStart='.length) ?? '';
  const words = execStart.split(/\s+/);
  const script = words.findIndex((w) => w.endsWith('/bin/fieldbridge.mjs'));
  if (!words[0]?.endsWith('/node') || script < 1 || words[script + 1] !== 'run') {
    throw new Error(
      `${UNIT_FILE}: ExecStart is not "<node> [flags] …/bin/fieldbridge.mjs run …": ${execStart}`,
    );
  }
  const env: Record<string, string> = {};
  for (const line of lines.filter((l) => l.startsWith('Environment='))) {
    for (const assignment of line.slice('Environment='.length).split(/\s+/)) {
      const [key, ...value] = assignment.replace(/^"|"$/g, '').split('=');
      if (key) env[key] = value.join('=');
    }
  }
  return { nodeFlags: words.slice(1, script), env };
}

/** One pino line as parsed: `msg`, `level` (30 info, 40 warn, 50 error, 60 fatal), `time`, fields. */
export interface LogLine {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export const LEVEL = { info: 30, warn: 40, error: 50, fatal: 60 } as const;

export interface GatewayDevice {
  readonly name: string;
  /** Port of a Modbus TCP server on 127.0.0.1. */
  readonly port: number;
  /** Default 10 ms: fast enough to build a backlog of thousands of messages in seconds. */
  readonly pollIntervalMs?: number;
  /** Default 5000 ms: generous, so that a loaded test machine does not turn slow replies into failed reads. */
  readonly timeoutMs?: number;
}

export interface PrepareGatewayOptions {
  readonly mqttUrl: string;
  /** Modbus TCP devices on 127.0.0.1, all with `mapping`. */
  readonly devices?: readonly GatewayDevice[];
  /** The tag mapping every device of `devices` uses (written to the temp dir as JSON). */
  readonly mapping?: unknown;
  /** Device entries written as given (any driver), after those of `devices`. */
  readonly deviceConfigs?: readonly Record<string, unknown>[];
  /** Files written beside the config before the start: relative path → JSON value (mapping files). */
  readonly mappingFiles?: Readonly<Record<string, unknown>>;
  /** Start as the systemd unit does (node flags, NODE_ENV=production, cwd = state dir). Default false. */
  readonly service?: boolean;
  /** Extra environment for the gateway process (on top of this process's). */
  readonly env?: Readonly<Record<string, string>>;
  /** Default "fb-fault". */
  readonly gatewayId?: string;
  /** Default "fault"; topics are `{prefix}/{device}/{tag}`. */
  readonly topicPrefix?: string;
  /** Extra `mqtt` config (tls, inflight, …). */
  readonly mqtt?: Record<string, unknown>;
  /** The `queue` config; default `{ "type": "level" }` with every other setting at its default. */
  readonly queue?: Record<string, unknown>;
  /** Default "info". */
  readonly logLevel?: string;
  /** The `http` config; default `{ "port": 0 }` so that gateways running side by side never collide. */
  readonly http?: Record<string, unknown>;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface GatewayRun {
  readonly pid: number;
  /** Parsed JSON log lines so far, in order. */
  readonly logs: readonly LogLine[];
  /** stderr and non-JSON stdout (for failure messages). */
  output(): string;
  readonly exited: boolean;
  /** Resolves with the first log line matching, including lines already received. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  waitForExit(timeoutMs?: number): Promise<ExitInfo>;
  /** SIGTERM and wait for the exit. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<ExitInfo>;
  /** Sends a signal without waiting for anything (SIGHUP: reload). */
  signal(sig: NodeJS.Signals): void;
}

export interface PreparedGateway {
  /** Temp dir holding the config, the mapping and the state dir. */
  readonly dir: string;
  readonly configPath: string;
  readonly stateDir: string;
  /** `<stateDir>/queue`, the LevelDB directory. */
  readonly queueDir: string;
  /** Every run started so far, oldest first. */
  readonly runs: readonly GatewayRun[];
  /** The config as written (a copy: change it with `writeConfig`). */
  readonly config: Record<string, unknown>;
  /** (Re)writes a JSON file relative to `dir`: a mapping before a SIGHUP reload. */
  writeJson(relativePath: string, value: unknown): Promise<void>;
  /** Rewrites the config file (`configPath`). */
  writeConfig(config: Record<string, unknown>): Promise<void>;
  /** Spawns a process and resolves once it logged "gateway running" (rejects if it exits first). */
  start(): Promise<GatewayRun>;
  /** Spawns a process without waiting for anything. */
  spawn(): GatewayRun;
  /** SIGKILLs every run still alive and removes the temp dir. */
  dispose(): Promise<void>;
}

export async function prepareGateway(options: PrepareGatewayOptions): Promise<PreparedGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldbridge-gw-'));
  const configPath = join(dir, 'gateway.json');
  const mappingPath = join(dir, 'mapping.json');
  const stateDir = join(dir, 'state');
  const writeJson = async (relativePath: string, value: unknown): Promise<void> => {
    const path = join(dir, relativePath);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify(value, null, 2));
  };
  if (options.mapping !== undefined) await writeJson('mapping.json', options.mapping);
  for (const [path, value] of Object.entries(options.mappingFiles ?? {})) await writeJson(path, value);
  const config = {
    gateway: { id: options.gatewayId ?? 'fb-fault', stateDir },
    log: { level: options.logLevel ?? 'info', pretty: false },
    mqtt: { url: options.mqttUrl, topicPrefix: options.topicPrefix ?? 'fault', ...options.mqtt },
    queue: options.queue ?? { type: 'level' },
    http: options.http ?? { port: 0 },
    devices: [
      ...(options.devices ?? []).map((d) => ({
        name: d.name,
        driver: 'modbus-tcp',
        host: '127.0.0.1',
        port: d.port,
        unitId: 1,
        pollIntervalMs: d.pollIntervalMs ?? 10,
        timeoutMs: d.timeoutMs ?? 5000,
        mapping: mappingPath,
      })),
      ...(options.deviceConfigs ?? []),
    ],
  };
  await writeFile(configPath, JSON.stringify(config, null, 2));
  // The unit's WorkingDirectory is its StateDirectory, which systemd creates before the start.
  if (options.service === true) await mkdir(stateDir, { recursive: true });
  const service = options.service === true ? serviceLaunch() : { nodeFlags: [], env: {} };
  const launch: LaunchOptions = {
    nodeFlags: service.nodeFlags,
    env: { ...process.env, ...service.env, ...options.env },
    cwd: options.service === true ? stateDir : undefined,
  };

  const runs: GatewayRun[] = [];
  const spawnRun = (): GatewayRun => {
    const run = spawnGateway(configPath, launch);
    runs.push(run);
    return run;
  };
  return {
    dir,
    configPath,
    stateDir,
    queueDir: join(stateDir, 'queue'),
    runs,
    config: structuredClone(config),
    writeJson,
    writeConfig: (next) => writeFile(configPath, JSON.stringify(next, null, 2)),
    spawn: spawnRun,
    start: async () => {
      const run = spawnRun();
      await run.waitForLog(
        (l) => l.msg === 'gateway running',
        START_TIMEOUT_MS,
        'the "gateway running" line',
      );
      return run;
    },
    dispose: async () => {
      await Promise.allSettled(runs.map((r) => r.kill()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface LaunchOptions {
  readonly nodeFlags: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string | undefined;
}

function spawnGateway(configPath: string, launch: LaunchOptions): GatewayRun {
  const child: ChildProcess = spawn(process.execPath, [...launch.nodeFlags, CLI, 'run', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: launch.env,
    ...(launch.cwd === undefined ? {} : { cwd: launch.cwd }),
  });
  const logs: LogLine[] = [];
  let other = '';
  let partial = '';
  let exit: ExitInfo | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const listener of [...listeners]) listener();
  };

  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('{')) {
        try {
          logs.push(JSON.parse(line) as LogLine);
          continue;
        } catch {
          // Not JSON after all: keep it with the other output.
        }
      }
      if (line !== '') other += `${line}\n`;
    }
    notify();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    other += chunk;
  });
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
      notify();
    });
  });

  const describeRun = (): string =>
    `gateway PID ${child.pid}${exit === undefined ? '' : ` (exited: ${JSON.stringify(exit)})`}; last log lines:\n${logs
      .slice(-15)
      .map((l) => JSON.stringify(l))
      .join('\n')}\n${other.slice(-2000)}`;

  const waitForExit = async (timeoutMs = EXIT_TIMEOUT_MS): Promise<ExitInfo> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for the exit of ${describeRun()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  const signal = (sig: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo> => {
    if (exit !== undefined) return Promise.resolve(exit);
    child.kill(sig);
    return waitForExit(timeoutMs);
  };

  return {
    pid: child.pid ?? -1,
    logs,
    output: () => other,
    get exited() {
      return exit !== undefined;
    },
    waitForLog: (predicate, timeoutMs = START_TIMEOUT_MS, what = 'a log line') =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = logs.find(predicate);
          if (found !== undefined) {
            finish();
            resolve(found);
            return true;
          }
          if (exit !== undefined) {
            finish();
            reject(new Error(`gateway exited before logging ${what}: ${describeRun()}`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} from ${describeRun()}`));
        }, timeoutMs);
        const listener = (): void => void check();
        const finish = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
        };
        if (!check()) listeners.add(listener);
      }),
    waitForExit,
    stop: (timeoutMs) => signal('SIGTERM', timeoutMs),
    kill: () => signal('SIGKILL'),
    signal: (sig) => {
      if (exit === undefined) child.kill(sig);
    },
  };
}
