/**
 * Gateway messages as mosquitto_sub received them: per-tag payloads
 * (`{"seq":…,"boot":…,"value":…,"quality":…,"ts":…,"tsMs":…,"unit"?,"error"?,"code"?}`, docs/delivery.md
 * and gateway/messages.ts) and the retained online status, plus the checks every scenario makes on them.
 */
import { expect } from 'vitest';
import type { MqttSub, SubMessage } from './mqtt-sub.ts';

export interface TagMessage {
  readonly topic: string;
  readonly seq: number;
  readonly boot: string;
  readonly value: unknown;
  readonly quality: string;
  readonly ts: string;
  readonly tsMs: number;
  readonly unit?: string;
  readonly error?: string;
  readonly code?: number;
  readonly historical?: boolean;
  /** The message as received (raw payload text included). */
  readonly received: SubMessage;
}

/** JSON's own types, to assert what a consumer's parser gets. */
export type JsonType = 'number' | 'string' | 'boolean' | 'null' | 'array' | 'object';

export function jsonType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonType;
}

function isTagPayload(json: unknown): json is Omit<TagMessage, 'topic' | 'received'> {
  return typeof json === 'object' && json !== null && 'seq' in json && 'quality' in json && 'value' in json;
}

function toTagMessage(m: SubMessage): TagMessage | undefined {
  return isTagPayload(m.json) ? { ...m.json, topic: m.topic, received: m } : undefined;
}

/** Every per-tag message received on `topic`, in arrival order. */
export function tagMessages(sub: MqttSub, topic: string): TagMessage[] {
  return sub.messages.flatMap((m) => (m.topic === topic ? (toTagMessage(m) ?? []) : []));
}

/** Every per-tag message under `{prefix}/{device}/`, in arrival order. */
export function deviceMessages(sub: MqttSub, prefix: string, device: string): TagMessage[] {
  const head = `${prefix}/${device}/`;
  return sub.messages.flatMap((m) => (m.topic.startsWith(head) ? (toTagMessage(m) ?? []) : []));
}

/** The first per-tag message on `topic` (optionally: the first matching `predicate`). */
export function waitForTag(
  sub: MqttSub,
  topic: string,
  predicate: (m: TagMessage) => boolean = () => true,
  timeoutMs?: number,
): Promise<TagMessage> {
  return sub.waitUntil(() => tagMessages(sub, topic).find(predicate), `a tag message on ${topic}`, timeoutMs);
}

/** The boot id from the retained online status (`{"state":"online","gateway":…,"boot":…}`). */
export async function waitForOnline(sub: MqttSub, statusTopic: string, gatewayId: string): Promise<string> {
  const online = await sub.waitForMessage(
    (m) => m.topic === statusTopic && (m.json as { state?: unknown } | undefined)?.state === 'online',
    `the online status on ${statusTopic}`,
  );
  const json = online.json as { gateway?: unknown; boot?: unknown };
  expect(json.gateway).toBe(gatewayId);
  expect(typeof json.boot).toBe('string');
  return json.boot as string;
}

export interface StampContext {
  /** The process's boot id (from the online status). */
  readonly boot: string;
  /** No message of this run can be stamped earlier (epoch ms). */
  readonly notBefore: number;
}

/**
 * The publisher's and the mapping's stamps: a positive integer seq, this run's boot, QoS 1, not
 * retained, `ts` the ISO form of `tsMs`, read after the start and before arrival (one machine, one clock).
 */
export function expectStamps(message: TagMessage, context: StampContext): void {
  const where = `${message.topic}: ${message.received.text}`;
  expect(Number.isSafeInteger(message.seq) && message.seq > 0, `seq of ${where}`).toBe(true);
  expect(message.boot, `boot of ${where}`).toBe(context.boot);
  expect(message.received.qos, `QoS of ${where}`).toBe(1);
  expect(message.received.retain, `retain flag of ${where}`).toBe(false);
  expect(jsonType(message.tsMs), `tsMs of ${where}`).toBe('number');
  expect(message.ts, `ts of ${where}`).toBe(new Date(message.tsMs).toISOString());
  expect(message.tsMs, `tsMs of ${where} (read after the start)`).toBeGreaterThanOrEqual(context.notBefore);
  expect(message.tsMs, `tsMs of ${where} (read before arrival)`).toBeLessThanOrEqual(
    message.received.receivedAt,
  );
}

export interface ExpectedTag {
  readonly value: unknown;
  readonly type: JsonType;
  /** Default "good". */
  readonly quality?: string;
  readonly unit?: string;
}

/** Value (deep equality, and JSON type), quality, unit; for bad tags also that an error is given. */
export function expectTagValue(message: TagMessage, expected: ExpectedTag): void {
  const where = `${message.topic}: ${message.received.text}`;
  const quality = expected.quality ?? 'good';
  expect(message.quality, `quality of ${where}`).toBe(quality);
  expect(jsonType(message.value), `JSON type of the value of ${where}`).toBe(expected.type);
  expect(message.value, `value of ${where}`).toEqual(expected.value);
  expect(message.unit, `unit of ${where}`).toBe(expected.unit);
  if (quality === 'good') expect(message.error, `error of ${where}`).toBeUndefined();
  else expect(typeof message.error, `error text of ${where}`).toBe('string');
}
