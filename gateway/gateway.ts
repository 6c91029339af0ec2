/**
 * The gateway: one queue, one publisher, one DevicePipeline per device. Its parts are components started
 * in dependency order (queue → publisher → devices) and stopped in reverse, each stop guarded so one
 * failure cannot strand the rest (core/lifecycle.ts).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Component } from '../core/component.ts';
import { Lifecycle } from '../core/lifecycle.ts';
import type { LoadedConfig, LoadedDevice } from './config/load.ts';
import { resolveSecret } from './config/secrets.ts';
import { DevicePipeline, type DevicePipelineOptions, type DeviceStatus } from './devices/device-pipeline.ts';
import type { DeviceContext } from './devices/device-plugin.ts';
import type { Logger } from './log.ts';
import { createPublisher, type Publisher } from './publisher/mqtt-publisher.ts';
import { createQueue } from './queue/index.ts';
import type { MessageQueue } from './queue/queue.ts';

export interface GatewayOptions {
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Per-poll hook for metrics (see DevicePipelineOptions.onPoll). */
  readonly onPoll?: DevicePipelineOptions['onPoll'];
}

/** What a reload changed, by device name. */
export interface ReloadSummary {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly restarted: readonly string[];
  readonly unchanged: readonly string[];
  /** Top-level sections that changed but only take effect after a restart (mqtt, queue, …). */
  readonly needRestart: readonly string[];
}

export interface GatewayStatus {
  readonly id: string;
  readonly boot: string;
  readonly devices: readonly DeviceStatus[];
  readonly publisher: ReturnType<Publisher['metrics']>;
  readonly queue: ReturnType<MessageQueue['stats']>;
}

export class Gateway implements Component {
  readonly name = 'gateway';
  readonly id: string;
  readonly boot: string;
  readonly stateDir: string;
  readonly #log: Logger;
  readonly #queue: MessageQueue;
  readonly #publisher: Publisher;
  readonly #onPoll: GatewayOptions['onPoll'];
  /** What device plugins get from the gateway: its state directory (OPC UA certificates) and env (secrets). */
  readonly #deviceContext: DeviceContext;
  readonly #topicContext: { readonly prefix: string; readonly gateway: string };
  /** The config the process started with: the queue and MQTT session keep it until a restart. */
  readonly #startConfig: LoadedConfig['config'];
  /** Running devices in config order, each with the JSON of what it was built from (for reload). */
  #devices: { readonly pipeline: DevicePipeline; readonly key: string }[];
  readonly #parts: Lifecycle;

  constructor(options: GatewayOptions) {
    const { loaded, log } = options;
    const env = options.env ?? process.env;
    const config = loaded.config;
    this.id = config.gateway?.id ?? sanitizeId(hostname());
    // A fresh id per process start: with the queue's seq it lets consumers tell a restart from a gap.
    this.boot = randomUUID();
    this.stateDir = resolveStateDir(config, env);
    this.#log = log.child({ gateway: this.id });

    const mqtt = config.mqtt;
    const prefix = mqtt.topicPrefix ?? 'fieldbridge';
    const context = { prefix, gateway: this.id };
    this.#topicContext = context;
    this.#onPoll = options.onPoll;
    this.#startConfig = config;
    const secrets = { env, credentialsDir: env.CREDENTIALS_DIRECTORY };
    // `shared` lets devices on one serial line share its bus (drivers/modbus/bus-registry.ts): per gateway.
    this.#deviceContext = { stateDir: this.stateDir, ...secrets, shared: new Map() };
    this.#queue = createQueue(config.queue ?? {}, this.stateDir, this.#log);
    this.#publisher = createPublisher(
      {
        url: mqtt.url,
        protocolVersion: mqtt.protocolVersion ?? 5,
        clientId: mqtt.clientId ?? `fieldbridge-${this.id}`,
        username: mqtt.username,
        password:
          mqtt.password === undefined
            ? undefined
            : resolveSecret(mqtt.password, 'MQTT password', secrets.env, secrets.credentialsDir),
        tls:
          mqtt.tls === undefined
            ? undefined
            : {
                ...mqtt.tls,
                passphrase:
                  mqtt.tls.passphrase === undefined
                    ? undefined
                    : resolveSecret(
                        mqtt.tls.passphrase,
                        'TLS key passphrase',
                        secrets.env,
                        secrets.credentialsDir,
                      ),
              },
        keepaliveSeconds: mqtt.keepaliveSeconds,
        inflight: mqtt.inflight,
        publishTimeoutMs: mqtt.publishTimeoutMs,
        statusTopic: (mqtt.statusTopic ?? '{prefix}/{gateway}/status')
          .replaceAll('{prefix}', prefix)
          .replaceAll('{gateway}', this.id),
        gatewayId: this.id,
        bootId: this.boot,
        replayRatePerSecond: config.queue?.replayRatePerSecond,
      },
      this.#queue,
      this.#log,
    );
    // Devices poll at evenly spread phases of their intervals: device i of n at i/n (DeviceContext.pollPhase).
    this.#devices = enabledDevices(loaded).map((d, i, all) => ({
      pipeline: this.#pipeline(d, i / all.length),
      key: deviceKey(d),
    }));
    this.#parts = new Lifecycle(
      [
        { name: 'queue', start: () => this.#queue.open(), stop: () => this.#queue.close() },
        {
          name: 'publisher',
          start: () => this.#publisher.start(),
          stop: () => this.#publisher.stop({ drainMs: 2000 }),
        },
        { name: 'devices', start: () => this.#startDevices(), stop: () => this.#stopDevices() },
      ],
      (part, error) => this.#log.error({ err: error }, 'failed to stop %s', part),
    );
  }

  #pipeline(d: LoadedDevice, pollPhase: number): DevicePipeline {
    const mqtt = this.#startConfig.mqtt;
    return new DevicePipeline({
      device: d,
      queue: this.#queue,
      log: this.#log,
      onPoll: this.#onPoll,
      context: { ...this.#deviceContext, pollPhase },
      topics: {
        context: { ...this.#topicContext, device: d.config.name },
        tagTemplate: mqtt.topicTemplate ?? '{prefix}/{device}/{tag}',
        batchTemplate: mqtt.batchTopicTemplate ?? '{prefix}/{device}',
      },
    });
  }

  async start(): Promise<void> {
    this.#log.info(
      { stateDir: this.stateDir, boot: this.boot },
      'starting gateway with %d devices',
      this.#devices.length,
    );
    await this.#parts.start();
    this.#log.info('gateway running');
  }

  async stop(): Promise<void> {
    this.#log.info('stopping gateway');
    await this.#parts.stop();
    this.#log.info('gateway stopped');
  }

  /** Concurrently: each start only sets up a driver that connects in the background (cold start). */
  async #startDevices(): Promise<void> {
    await Promise.all(this.#devices.map(({ pipeline }) => pipeline.start()));
  }

  /** Last started first, each guarded: one device's failing stop never keeps another running. */
  async #stopDevices(): Promise<void> {
    for (const { pipeline } of [...this.#devices].reverse()) {
      await guarded(this.#log, `stop device ${pipeline.name}`, () => pipeline.stop());
    }
  }

  status(): GatewayStatus {
    return {
      id: this.id,
      boot: this.boot,
      devices: this.#devices.map((d) => d.pipeline.status()),
      publisher: this.#publisher.metrics(),
      queue: this.#queue.stats(),
    };
  }

  /**
   * Applies a new, already validated config (SIGHUP): devices whose config or mapping changed are
   * restarted, new ones started, removed ones stopped; the others, the queue and the MQTT session are not
   * touched, so nothing queued is lost. Changes outside `devices` need a restart and are only reported.
   */
  async reload(loaded: LoadedConfig): Promise<ReloadSummary> {
    const before = this.#startConfig as Record<string, unknown>;
    const after = loaded.config as Record<string, unknown>;
    const needRestart = Object.keys({ ...before, ...after }).filter(
      (section) =>
        section !== 'devices' &&
        section !== '$schema' &&
        JSON.stringify(before[section]) !== JSON.stringify(after[section]),
    );
    const old = new Map(this.#devices.map((d) => [d.pipeline.name, d]));
    const wanted = enabledDevices(loaded);
    const wantedNames = new Set(wanted.map((d) => d.config.name));
    const summary = {
      added: [] as string[],
      removed: [] as string[],
      restarted: [] as string[],
      unchanged: [] as string[],
    };

    for (const [name, d] of old) {
      if (wantedNames.has(name)) continue;
      await guarded(this.#log, `stop removed device ${name}`, () => d.pipeline.stop());
      summary.removed.push(name);
    }
    const next: { pipeline: DevicePipeline; key: string }[] = [];
    for (const d of wanted) {
      const name = d.config.name;
      const key = deviceKey(d);
      const running = old.get(name);
      if (running !== undefined && running.key === key) {
        next.push(running);
        summary.unchanged.push(name);
        continue;
      }
      if (running !== undefined) {
        await guarded(this.#log, `stop changed device ${name}`, () => running.pipeline.stop());
      }
      const pipeline = this.#pipeline(d, wanted.indexOf(d) / wanted.length);
      next.push({ pipeline, key });
      await guarded(this.#log, `start device ${name}`, () => pipeline.start());
      (running === undefined ? summary.added : summary.restarted).push(name);
    }
    this.#devices = next;
    this.#log.info({ ...summary, needRestart }, 'config reloaded');
    if (needRestart.length > 0) {
      this.#log.warn('changes to %s take effect only after a restart', needRestart.join(', '));
    }
    return { ...summary, needRestart };
  }
}

function enabledDevices(loaded: LoadedConfig): LoadedDevice[] {
  return loaded.devices.filter((d) => d.config.enabled !== false);
}

/** What a device runs from: a change in either restarts it on reload. */
function deviceKey(d: LoadedDevice): string {
  return JSON.stringify({ config: d.config, mapping: d.mapping });
}

async function guarded(log: Logger, what: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    log.error({ err: error }, 'failed to %s', what);
  }
}

function sanitizeId(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '-') || 'gateway';
}

/** The state directory: the config's `gateway.stateDir`, else systemd's $STATE_DIRECTORY, else ./state. */
export function resolveStateDir(config: LoadedConfig['config'], env: NodeJS.ProcessEnv): string {
  return config.gateway?.stateDir ?? env.STATE_DIRECTORY?.split(':')[0] ?? resolve('state');
}
