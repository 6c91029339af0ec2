/**
 * Acceptance: a server restart that shifts namespace indices, through `fieldbridge run` (docs/opcua.md,
 * "Namespace indexes after a server update"). The test server's restart with reordered namespaces puts
 * a decoy namespace at index 2 and moves the plant to 3:
 * - `nsu=` tags are re-resolved at the reconnect and get their own nodes' values again;
 * - `ns=2` tags keep index 2: `ns=2;s=String` no longer exists (bad, BadNodeIdUnknown), and
 *   `ns=2;s=Double` now reads the decoy's Double, a *different* node, reported good: the reason to use
 *   `nsu=`. A restart with the original order brings them back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpcUaMapping } from '../../mappings/opcua/schema.ts';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { DECOY_DOUBLE } from '../helpers/opcua-server.ts';
import { expectAgreement } from './agreement.ts';
import { type AcceptanceGateway, expectNoUnexpectedErrors, startAcceptanceGateway } from './harness.ts';
import { expectStamps, expectTagValue, type TagMessage, tagMessages, waitForOnline } from './messages.ts';
import { type MqttSub, startMqttSub } from './mqtt-sub.ts';
import {
  BAD_NODE_ID_UNKNOWN,
  BAD_NOT_CONNECTED,
  EXPECTED,
  FAST_PUBLISH,
  NO_STALE_MS,
  nsu,
} from './opcua-scenario.ts';
import { type OpcUaServerProcess, startOpcUaServerProcess } from './peers/opcua-server-peer.ts';

const DEVICE = 'plc';
const MAPPING_FILE = 'mappings/plant.json';
const PREFIXES = ['s_', 'p_'] as const;

/** Tags by namespace URI and by the index the plant namespace has at the start (2). */
const groupTags = (prefix: string, plantIndex: number) => [
  { name: `${prefix}nsu_String`, nodeId: nsu('String') },
  { name: `${prefix}nsu_Double`, nodeId: nsu('Double') },
  { name: `${prefix}ns_String`, nodeId: `ns=${plantIndex};s=String` },
  { name: `${prefix}ns_Double`, nodeId: `ns=${plantIndex};s=Double` },
];

describe("OPC UA through 'fieldbridge run': a server restart that shifts namespace indices", () => {
  let dir: string;
  let broker: Mosquitto;
  let server: OpcUaServerProcess;
  let sub: MqttSub;
  let gw: AcceptanceGateway;
  let boot = '';
  let startedIndex = 0;
  /** Index in sub.messages when the reordering restart began. */
  let reorderedFrom = 0;

  /** The first message on a tag from `from` (an index into sub.messages) on that matches. */
  const firstSince = (from: number, tag: string, what: string, predicate: (m: TagMessage) => boolean) =>
    sub.waitUntil(
      () =>
        tagMessages(sub, gw.topic(DEVICE, tag)).find(
          (m) => sub.messages.indexOf(m.received) >= from && predicate(m),
        ),
      `${what} on ${tag}`,
      30_000,
    );

  /** Restarts the server and returns the index in sub.messages before the restart, and its time. */
  const restart = async (reorderNamespaces: boolean) => {
    const from = sub.messages.length;
    const at = Date.now();
    await server.restart({ reorderNamespaces });
    return { from, at };
  };

  const expectFollowed = async (from: number, at: number) => {
    for (const prefix of PREFIXES) {
      for (const name of ['String', 'Double']) {
        const tag = `${prefix}nsu_${name}`;
        const lost = await firstSince(from, tag, 'the lost connection', (m) => m.quality === 'bad');
        expect(lost.code, `${tag}: ${lost.error}`).toBe(BAD_NOT_CONNECTED);
        const back = await firstSince(from, tag, 'a good value', (m) => m.quality === 'good');
        expect(sub.messages.indexOf(back.received)).toBeGreaterThan(sub.messages.indexOf(lost.received));
        expectTagValue(back, EXPECTED[name] as (typeof EXPECTED)[string]);
        // The new server's source timestamps.
        expectStamps(back, { boot, notBefore: at });
      }
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-acc-opcua-restart-'));
    [broker, server] = await Promise.all([
      startMosquitto(),
      startOpcUaServerProcess({ dir: join(dir, 'server') }),
    ]);
    startedIndex = server.plantIndex;
    const mapping: OpcUaMapping = {
      publish: FAST_PUBLISH,
      groups: [
        {
          name: 'pushed',
          mode: 'subscription',
          publishingIntervalMs: 100,
          tags: groupTags('s_', startedIndex),
        },
        { name: 'polled', mode: 'poll', pollIntervalMs: 100, tags: groupTags('p_', startedIndex) },
      ],
    };
    sub = await startMqttSub({ broker, topics: ['acc/#'] });
    gw = await startAcceptanceGateway({
      broker,
      devices: [
        {
          name: DEVICE,
          driver: 'opcua',
          endpoint: server.endpoint,
          securityMode: 'None',
          allowInsecure: true,
          mapping: MAPPING_FILE,
          staleAfterMs: NO_STALE_MS,
        },
      ],
      mappings: { [MAPPING_FILE]: mapping },
    });
    boot = await waitForOnline(sub, gw.statusTopic, gw.gatewayId);
  });

  afterAll(async () => {
    await gw?.dispose();
    await sub?.close();
    await server?.stop();
    await broker?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('before the restart, nsu= and ns= tags read the same nodes', async () => {
    expect(startedIndex).toBe(2);
    for (const prefix of PREFIXES) {
      for (const form of ['nsu', 'ns']) {
        for (const name of ['String', 'Double']) {
          const message = await firstSince(
            0,
            `${prefix}${form}_${name}`,
            'a good value',
            (m) => m.quality === 'good',
          );
          expectTagValue(message, EXPECTED[name] as (typeof EXPECTED)[string]);
        }
      }
    }
  });

  it('after a restart with reordered namespaces, nsu= tags follow their namespace to its new index', async () => {
    const { from, at } = await restart(true);
    reorderedFrom = from;
    expect(server.plantIndex).toBe(3);
    await expectFollowed(from, at);
    await gw.run.waitForLog(
      (l) => l.msg.startsWith('OPC UA session established (rebuilt'),
      10_000,
      'the rebuilt session',
    );
  });

  it('ns=2 tags keep index 2: a node missing there is bad (BadNodeIdUnknown), one that exists is read silently', async () => {
    const from = reorderedFrom;
    for (const prefix of PREFIXES) {
      const missing = await firstSince(
        from,
        `${prefix}ns_String`,
        'BadNodeIdUnknown',
        (m) => m.code === BAD_NODE_ID_UNKNOWN,
      );
      expect(missing).toMatchObject({ quality: 'bad', value: null });
      expect(missing.error).toContain('BadNodeIdUnknown');
      // The decoy namespace's own Double, not the plant's: good quality, another node's value.
      const wrong = await firstSince(
        from,
        `${prefix}ns_Double`,
        "the decoy's value",
        (m) => m.value === DECOY_DOUBLE,
      );
      expect(wrong.quality).toBe('good');
    }
  });

  it('/metrics, /api/status and `fieldbridge status` agree after the restart', async () => {
    const status = await expectAgreement(gw, sub, { boot });
    const tags = new Map(status.devices[0]?.tags.map((t) => [t.name, t]));
    expect(tags.get('s_nsu_Double')).toMatchObject({ quality: 'good', value: 3.25 });
    expect(tags.get('p_ns_Double')).toMatchObject({ quality: 'good', value: DECOY_DOUBLE });
    expect(tags.get('p_ns_String')?.quality).toBe('bad');
  });

  it('a restart with the original order: ns= tags read the plant again, nsu= tags never moved', async () => {
    const { from, at } = await restart(false);
    expect(server.plantIndex).toBe(2);
    await expectFollowed(from, at);
    for (const prefix of PREFIXES) {
      for (const name of ['String', 'Double']) {
        const tag = `${prefix}ns_${name}`;
        const back = await firstSince(
          from,
          tag,
          'the plant value',
          (m) => m.quality === 'good' && m.value === EXPECTED[name]?.value,
        );
        expectStamps(back, { boot, notBefore: at });
      }
    }
  });

  it('logged no error', () => {
    expectNoUnexpectedErrors(gw.run);
  });
});
