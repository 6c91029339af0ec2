/**
 * What the OPC UA acceptance scenarios share: the JSON every built-in type of the test server
 * (test/helpers/opcua-server.ts TEST_VARIABLES) must arrive as at the independent subscriber, mapping
 * groups over them, and device entries for the gateway config.
 */
import { expect } from 'vitest';
import { PLANT_NS, TEST_DATE, TEST_VARIABLES } from '../helpers/opcua-server.ts';
import type { AcceptanceGateway } from './harness.ts';
import {
  type ExpectedTag,
  expectStamps,
  expectTagValue,
  type StampContext,
  type TagMessage,
  waitForTag,
} from './messages.ts';
import type { MqttSub } from './mqtt-sub.ts';

export const BAD_NODE_ID_UNKNOWN = 0x80340000;
export const BAD_NOT_CONNECTED = 0x808a0000;
export const BAD_CERTIFICATE_UNTRUSTED = 0x801a0000;
export const BAD_SECURITY_CHECKS_FAILED = 0x80130000;

/** Every good variable of the test server, with the JSON value and type it must arrive as. */
export const EXPECTED: Readonly<Record<string, ExpectedTag>> = {
  Bool: { value: true, type: 'boolean' },
  SByte: { value: -12, type: 'number' },
  Byte: { value: 200, type: 'number' },
  Int16: { value: -30000, type: 'number' },
  UInt16: { value: 60000, type: 'number' },
  Int32: { value: -2000000000, type: 'number' },
  UInt32: { value: 4000000000, type: 'number' },
  Int64Small: { value: -2, type: 'number' },
  // Beyond 2^53: decimal strings, never rounded.
  Int64Big: { value: '9007199254740993', type: 'string' },
  UInt64Big: { value: '18446744073709551615', type: 'string' },
  Float: { value: 1.5, type: 'number' },
  Double: { value: 3.25, type: 'number' },
  String: { value: 'héllo', type: 'string' },
  DateTime: { value: TEST_DATE.toISOString(), type: 'string' },
  ByteString: { value: Buffer.from([1, 2, 3, 250]).toString('base64'), type: 'string' },
  LocalizedText: { value: 'Running', type: 'string' },
  DoubleArray: { value: [1.5, 2.5, -3], type: 'array' },
  Int32Array: { value: [1, -2, 3], type: 'array' },
};

/** Test server variables that are bad by design: a NaN is not a JSON number. */
export const KNOWN_BAD = ['DoubleNaN'] as const;

/** Every TEST_VARIABLE is either in EXPECTED or known bad: none is left untested. */
export function expectEveryVariableCovered(): void {
  expect(Object.keys(TEST_VARIABLES).sort()).toEqual([...Object.keys(EXPECTED), ...KNOWN_BAD].sort());
}

export const nsu = (name: string): string => `nsu=${PLANT_NS};s=${name}`;

/** Tags `<prefix><Variable>` for the given variables, by nsu= id. */
export function tagsFor(prefix: string, names: readonly string[] = Object.keys(EXPECTED)) {
  return names.map((name) => ({ name: `${prefix}${name}`, nodeId: nsu(name) }));
}

/** Fast, quiet devices: 100 ms groups, report by exception without heartbeat, no stale flip during a test. */
export const FAST_PUBLISH = { mode: 'change', heartbeatSeconds: 0 } as const;
export const NO_STALE_MS = 600_000;

/**
 * Waits for the first message of `<prefix><Variable>` for each expected variable and checks value, JSON
 * type, quality and stamps. Returns the messages by variable name.
 */
export async function expectAllTypes(
  sub: MqttSub,
  gw: AcceptanceGateway,
  device: string,
  prefix: string,
  stamps: StampContext,
  names: readonly string[] = Object.keys(EXPECTED),
  timeoutMs?: number,
): Promise<Map<string, TagMessage>> {
  const out = new Map<string, TagMessage>();
  for (const name of names) {
    const expected = EXPECTED[name] as ExpectedTag;
    const topic = gw.topic(device, `${prefix}${name}`);
    const message = await waitForTag(sub, topic, (m) => m.quality === 'good', timeoutMs);
    expectStamps(message, stamps);
    expectTagValue(message, expected);
    out.set(name, message);
  }
  return out;
}
