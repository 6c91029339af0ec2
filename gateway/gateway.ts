/**
 * The gateway: one queue, one publisher, one runner per device. Started in dependency order (queue →
 * publisher → devices) and stopped in reverse, each step guarded so one failure cannot strand the rest.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { LoadedConfig } from './config/load.ts';
import { resolveSecret } from './config/secrets.ts';
import { DeviceRunner, type DeviceStatus } from './devices/device-runner.ts';
import type { Logger } from './log.ts';
import { createPublisher, type Publisher } from './publisher/mqtt-publisher.ts';
import { createQueue } from './queue/index.ts';
import type { MessageQueue } from './queue/queue.ts';

export interface GatewayOptions {
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

export interface GatewayStatus {
  readonly id: string;
  readonly boot: string;
  readonly devices: readonly DeviceStatus[];
  readonly publisher: ReturnType<Publisher['metrics']>;
  readonly queue: ReturnType<MessageQueue['stats']>;
}

export class Gateway {
  readonly id: string;
  readonly boot: string;
  readonly stateDir: string;
  readonly #log: Logger;
  readonly #queue: MessageQueue;
  readonly #publisher: Publisher;
  readonly #devices: DeviceRunner[];

  constructor(options: GatewayOptions) {
    const { loaded, log } = options;
    const env = options.env ?? process.env;
    const config = loaded.config;
    this.id = config.gateway?.id ?? sanitizeId(hostname());
    // A fresh id per process start: with the queue's seq it lets consumers tell a restart from a gap.
    this.boot = randomUUID();
    this.stateDir = config.gateway?.stateDir ?? env.STATE_DIRECTORY?.split(':')[0] ?? resolve('state');
    this.#log = log.child({ gateway: this.id });

    const mqtt = config.mqtt;
    const prefix = mqtt.topicPrefix ?? 'fieldbridge';
    const context = { prefix, gateway: this.id };
    const secrets = { env, credentialsDir: env.CREDENTIALS_DIRECTORY };
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
    this.#devices = loaded.devices
      .filter((d) => d.config.enabled !== false)
      .map(
        (d) =>
          new DeviceRunner({
            device: d.config,
            mapping: d.mapping,
            queue: this.#queue,
            log: this.#log,
            topics: {
              context: { ...context, device: d.config.name },
              tagTemplate: mqtt.topicTemplate ?? '{prefix}/{device}/{tag}',
              batchTemplate: mqtt.batchTopicTemplate ?? '{prefix}/{device}',
            },
          }),
      );
  }

  async start(): Promise<void> {
    this.#log.info(
      { stateDir: this.stateDir, boot: this.boot },
      'starting gateway with %d devices',
      this.#devices.length,
    );
    await this.#queue.open();
    await this.#publisher.start();
    for (const device of this.#devices) await device.start();
    this.#log.info('gateway running');
  }

  async stop(): Promise<void> {
    this.#log.info('stopping gateway');
    for (const device of [...this.#devices].reverse()) {
      await guarded(this.#log, `stop device ${device.name}`, () => device.stop());
    }
    await guarded(this.#log, 'stop publisher', () => this.#publisher.stop({ drainMs: 2000 }));
    await guarded(this.#log, 'close queue', () => this.#queue.close());
    this.#log.info('gateway stopped');
  }

  status(): GatewayStatus {
    return {
      id: this.id,
      boot: this.boot,
      devices: this.#devices.map((d) => d.status()),
      publisher: this.#publisher.metrics(),
      queue: this.#queue.stats(),
    };
  }
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
