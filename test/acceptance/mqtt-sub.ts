/**
 * The independent subscriber of the acceptance suite: Mosquitto's own `mosquitto_sub` (Debian's
 * mosquitto-clients) in its own process, so what the tests see went through no fieldbridge or MQTT.js
 * code. `-F %j` prints one JSON object per message (topic, qos, retain, the payload as a JSON string);
 * payloads are parsed here, and their raw text is kept for checks JSON.parse would blur (64-bit values).
 *
 *   const sub = await startMqttSub({ broker, topics: ['acc/#'] });
 *   const msg = await sub.waitForMessage((m) => m.topic === 'acc/plc/level', 'the level');
 *   await sub.close();
 *
 * Readiness: a retained marker is published (with mosquitto_pub) to a topic of this subscriber's own
 * before it starts, subscribed last; the broker delivers retained messages only after the SUBACK, so once
 * the marker arrives every subscription is active and nothing published later can be missed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { Mosquitto } from '../helpers/mosquitto.ts';

export const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';
export const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';
const READY_TIMEOUT_MS = 10_000;
const DEFAULT_WAIT_MS = 20_000;

export interface SubMessage {
  readonly topic: string;
  readonly qos: number;
  readonly retain: boolean;
  /** The payload as text (UTF-8), exactly as published. */
  readonly text: string;
  /** The payload parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
  /** Arrival time in this (the test) process, epoch ms. */
  readonly receivedAt: number;
}

export interface MqttSub {
  /** Every message so far (the readiness marker excluded), in arrival order. */
  readonly messages: readonly SubMessage[];
  /** The newest message on `topic`, if any. */
  latest(topic: string): SubMessage | undefined;
  /** Resolves with the first message (already received or later) matching; rejects after the timeout. */
  waitForMessage(
    predicate: (m: SubMessage) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<SubMessage>;
  /** Resolves once `condition()` returns a value other than undefined, re-checked on every message. */
  waitUntil<T>(condition: () => T | undefined, what: string, timeoutMs?: number): Promise<T>;
  /** stderr of mosquitto_sub (for failure messages). */
  output(): string;
  close(): Promise<void>;
}

export interface MqttSubOptions {
  readonly broker: Mosquitto;
  readonly topics: readonly string[];
}

/** Fails with a clear message when mosquitto-clients is missing (.ci/run installs it). */
export async function requireMosquittoClients(): Promise<void> {
  try {
    await promisify(execFile)(MOSQUITTO_SUB, ['--help']).catch((error: { code?: unknown }) => {
      // --help exits 1 after printing the usage; only a missing binary is a problem.
      if (error.code === 'ENOENT') throw error;
    });
  } catch {
    throw new Error(
      `${MOSQUITTO_SUB} is missing: the acceptance suite's subscriber is Debian's mosquitto-clients (apt-get install mosquitto-clients; .ci/run installs it)`,
    );
  }
}

export async function startMqttSub(options: MqttSubOptions): Promise<MqttSub> {
  await requireMosquittoClients();
  const marker = `acceptance-ready/${randomUUID()}`;
  const hostPort = ['-h', '127.0.0.1', '-p', String(options.broker.port)];
  await promisify(execFile)(MOSQUITTO_PUB, [...hostPort, '-t', marker, '-r', '-q', '1', '-m', 'ready']);

  const topicArgs = [...options.topics, marker].flatMap((t) => ['-t', t]);
  const child: ChildProcess = spawn(
    MOSQUITTO_SUB,
    [...hostPort, '-V', 'mqttv5', '-q', '1', '-F', '%j', ...topicArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const messages: SubMessage[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  let partial = '';
  let ready = false;
  let exited = false;

  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') continue;
      const message = parseLine(line);
      if (message.topic === marker) ready = true;
      else messages.push(message);
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      for (const listener of [...listeners]) listener();
      resolve();
    });
  });

  const waitUntil = <T>(condition: () => T | undefined, what: string, timeoutMs = DEFAULT_WAIT_MS) =>
    new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      const check = (): void => {
        const value = condition();
        if (value !== undefined) {
          finish();
          resolve(value);
        } else if (exited) {
          finish();
          reject(new Error(`mosquitto_sub exited while waiting for ${what}: ${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `mosquitto_sub: timed out after ${timeoutMs} ms waiting for ${what}; ${messages.length} message(s) received, last: ${messages
              .slice(-5)
              .map((m) => `${m.topic} ${m.text}`)
              .join(' | ')}`,
          ),
        );
      }, timeoutMs);
      listeners.add(check);
      check();
    });

  const close = async (): Promise<void> => {
    if (!exited) child.kill('SIGTERM');
    await exitedPromise;
  };

  try {
    await waitUntil(() => (ready ? true : undefined), 'its readiness marker', READY_TIMEOUT_MS);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    messages,
    latest: (topic) => messages.findLast((m) => m.topic === topic),
    waitForMessage: (predicate, what, timeoutMs) =>
      waitUntil(() => messages.find(predicate), what, timeoutMs),
    waitUntil,
    output: () => stderr,
    close,
  };
}

interface SubLine {
  readonly topic: string;
  readonly qos: number;
  readonly retain: number;
  readonly payload?: string;
}

function parseLine(line: string): SubMessage {
  const parsed = JSON.parse(line) as SubLine;
  const text = parsed.payload ?? '';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    topic: parsed.topic,
    qos: parsed.qos,
    retain: parsed.retain === 1,
    text,
    json,
    receivedAt: Date.now(),
  };
}
