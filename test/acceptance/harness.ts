/**
 * The acceptance harness (issue 11): the real CLI, `node bin/fieldbridge.mjs run <config>`, started as
 * systemd/fieldbridge.service starts it (its node flags, NODE_ENV=production, the state dir as working
 * directory) with the HTTP server on a free port, against peers in their own processes and a real
 * Mosquitto; what arrives is read by mosquitto_sub (./mqtt-sub.ts), never by fieldbridge code.
 *
 *   const broker = await startMosquitto();                               // beforeAll, one per file
 *   const sub = await startMqttSub({ broker, topics: ['acc/#'] });       // before the gateway starts
 *   const gw = await startAcceptanceGateway({ broker, devices: [...], mappings: { 'mappings/a.json': {...} } });
 *   const msg = await waitForTag(sub, gw.topic('plc', 'level'));         // ./messages.ts
 *   await expectAgreement(gw, sub);                                      // ./agreement.ts
 *   expectNoUnexpectedErrors(gw.run, [/expected problem/]);
 *   await gw.dispose();
 *
 * Device entries are written as given (any driver); `mapping` paths are relative to the config file,
 * which sits in the gateway's temp dir next to the files of `mappings`.
 */
import { expect } from 'vitest';
import type { ApiStatus } from '../../gateway/http/api-status.ts';
import {
  type ExitInfo,
  type GatewayRun,
  LEVEL,
  type LogLine,
  type PreparedGateway,
  prepareGateway,
} from '../helpers/gateway-process.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { type CliOptions, type CliResult, runCli } from './cli.ts';
import { type Metrics, parseMetrics } from './metrics.ts';

export const DEFAULT_PREFIX = 'acc';
export const DEFAULT_GATEWAY_ID = 'acc-gw';
const HTTP_LINE = /^status page, health and metrics on (http:\/\/\S+)$/;

export interface AcceptanceOptions {
  readonly broker: Mosquitto;
  /** Device entries of the config, written as given. */
  readonly devices: readonly Record<string, unknown>[];
  /** Files beside the config: relative path → JSON (the mapping files the devices name). */
  readonly mappings: Readonly<Record<string, unknown>>;
  /** Default "acc-gw". */
  readonly gatewayId?: string;
  /** Default "acc"; topics are `{prefix}/{device}/{tag}`. */
  readonly topicPrefix?: string;
  /** Extra `mqtt` config. */
  readonly mqtt?: Record<string, unknown>;
  /** Default "info". */
  readonly logLevel?: string;
  /** Extra environment for the gateway process. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface AcceptanceGateway {
  readonly prepared: PreparedGateway;
  /** The running process (the latest run after `restart`). */
  readonly run: GatewayRun;
  /** Where the HTTP server listens, from its log line: http://127.0.0.1:<port>. */
  readonly httpUrl: string;
  readonly gatewayId: string;
  readonly topicPrefix: string;
  /** Epoch ms just before the process was spawned (no message can be stamped earlier). */
  readonly startedAt: number;
  /** `{prefix}/{device}/{tag}`. */
  topic(device: string, tag: string): string;
  /** The retained online/offline topic: `{prefix}/{gateway}/status`. */
  readonly statusTopic: string;
  apiStatus(): Promise<ApiStatus>;
  metrics(): Promise<Metrics>;
  /** GET a path of the HTTP server: status code and body. */
  http(path: string): Promise<{ readonly status: number; readonly body: string }>;
  /** `fieldbridge <args>` as a child process, in the gateway's temp dir (where the config is). */
  cli(args: readonly string[], options?: CliOptions): Promise<CliResult>;
  /** `fieldbridge status --url <httpUrl>`. */
  statusCli(): Promise<CliResult>;
  /**
   * Sends SIGHUP and resolves with the reload's outcome line: "config reloaded" (its fields: added,
   * removed, restarted, unchanged) or the "reload refused" / "reload failed" error.
   */
  reload(): Promise<LogLine>;
  /** SIGTERM; resolves with the exit. */
  stop(): Promise<ExitInfo>;
  /** Kills what still runs and removes the temp dir. */
  dispose(): Promise<void>;
}

export async function startAcceptanceGateway(options: AcceptanceOptions): Promise<AcceptanceGateway> {
  const gatewayId = options.gatewayId ?? DEFAULT_GATEWAY_ID;
  const topicPrefix = options.topicPrefix ?? DEFAULT_PREFIX;
  const prepared = await prepareGateway({
    mqttUrl: options.broker.url,
    gatewayId,
    topicPrefix,
    deviceConfigs: options.devices,
    mappingFiles: options.mappings,
    ...(options.mqtt === undefined ? {} : { mqtt: options.mqtt }),
    logLevel: options.logLevel ?? 'info',
    http: { port: 0 },
    service: true,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const startedAt = Date.now();
  let run: GatewayRun;
  let httpUrl: string;
  try {
    run = await prepared.start();
    const line = await run.waitForLog((l) => HTTP_LINE.test(l.msg), 5000, 'the HTTP server line');
    httpUrl = HTTP_LINE.exec(line.msg)?.[1] ?? '';
  } catch (error) {
    await prepared.dispose();
    throw error;
  }

  const http = async (path: string) => {
    const response = await fetch(`${httpUrl}${path}`, { signal: AbortSignal.timeout(5000) });
    return { status: response.status, body: await response.text() };
  };
  const cli = (args: readonly string[], cliOptions: CliOptions = {}) =>
    runCli(args, { cwd: prepared.dir, ...cliOptions });
  let reloads = 0;

  return {
    prepared,
    get run() {
      return run;
    },
    httpUrl,
    gatewayId,
    topicPrefix,
    startedAt,
    topic: (device, tag) => `${topicPrefix}/${device}/${tag}`,
    statusTopic: `${topicPrefix}/${gatewayId}/status`,
    apiStatus: async () => {
      const { status, body } = await http('/api/status');
      expect(status, `/api/status answered ${status}: ${body}`).toBe(200);
      return JSON.parse(body) as ApiStatus;
    },
    metrics: async () => {
      const { status, body } = await http('/metrics');
      expect(status, `/metrics answered ${status}: ${body}`).toBe(200);
      return parseMetrics(body);
    },
    http,
    cli,
    statusCli: () => cli(['status', '--url', httpUrl]),
    reload: async () => {
      // The n-th reload's outcome is the n-th outcome line: earlier reloads' lines are already there.
      const nth = ++reloads;
      run.signal('SIGHUP');
      const outcomes = (): LogLine[] => run.logs.filter(isReloadOutcome);
      await run.waitForLog(() => outcomes().length >= nth, 15_000, `the outcome of reload ${nth}`);
      return outcomes()[nth - 1] as LogLine;
    },
    stop: () => run.stop(),
    dispose: () => prepared.dispose(),
  };
}

function isReloadOutcome(line: LogLine): boolean {
  return (
    line.msg === 'config reloaded' ||
    line.msg.startsWith('reload refused') ||
    line.msg.startsWith('reload failed')
  );
}

/** A log line a scenario expects at level error or above: a pattern on `msg`, or a predicate. */
export type AllowedError = RegExp | ((line: LogLine) => boolean);

/**
 * Fails on every log line at level error or above that no entry of `allowed` matches, and on anything
 * the process wrote that is not a JSON log line (stderr: a stack trace, a warning from Node).
 */
export function expectNoUnexpectedErrors(run: GatewayRun, allowed: readonly AllowedError[] = []): void {
  const matches = (line: LogLine) =>
    allowed.some((a) => (typeof a === 'function' ? a(line) : a.test(line.msg)));
  const unexpected = run.logs.filter((l) => l.level >= LEVEL.error && !matches(l));
  expect(
    unexpected.map((l) => JSON.stringify(l)),
    'log lines at level error or above',
  ).toEqual([]);
  expect(run.output().trim(), 'output of the gateway that is not a JSON log line').toBe('');
}
