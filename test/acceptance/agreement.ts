/**
 * "/metrics, /api/status and `fieldbridge status` agree with what arrived": once the gateway is quiet
 * (report by exception, constant values, every message acknowledged and received), the three views are
 * compared with the independent subscriber's messages:
 * - messages: the broker counters equal the distinct seqs of this boot that arrived, and those seqs are
 *   contiguous; each device's `published` equals the messages that arrived on its topics;
 * - tags: each tag's value, quality and ts in /api/status are those of the last message on its topic
 *   (an "unread" tag has none); /metrics counts the same good/bad/stale tags per device;
 * - devices: `device_connected` matches the state; `fieldbridge status` prints the same state, tag
 *   counts and broker counters, and exits 0 exactly when /api/status says ready.
 */
import { expect } from 'vitest';
import type { ApiDevice, ApiStatus } from '../../gateway/http/api-status.ts';
import { tableRows } from './cli.ts';
import type { AcceptanceGateway } from './harness.ts';
import { type TagMessage, tagMessages } from './messages.ts';
import type { Metrics } from './metrics.ts';
import type { MqttSub } from './mqtt-sub.ts';

const QUIET_TIMEOUT_MS = 15_000;
const STATUS_COLUMNS = ['DEVICE', 'DRIVER', 'STATE', 'POLLS', 'FAILED', 'GOOD/BAD/STALE', 'LAST ERROR'];

export interface AgreementOptions {
  /** This run's boot id (waitForOnline). */
  readonly boot: string;
  /**
   * Per device, the index in `sub.messages` from which its messages count towards its `published`
   * (a device restarted by a reload starts counting again). Default: all of this boot.
   */
  readonly deviceMessagesFrom?: Readonly<Record<string, number>>;
}

/** Checks the agreement and returns the /api/status it checked (for scenario-specific assertions). */
export async function expectAgreement(
  gw: AcceptanceGateway,
  sub: MqttSub,
  options: AgreementOptions,
): Promise<ApiStatus> {
  const { status, metrics } = await quietSnapshot(gw, sub, options.boot);
  expect(status.gateway.boot, 'boot in /api/status').toBe(options.boot);
  expect(status.gateway.id).toBe(gw.gatewayId);

  const seqs = [...new Set(ofBoot(sub, options.boot).map((m) => m.seq))].sort((a, b) => a - b);
  const first = seqs[0] ?? 0;
  expect(seqs, 'seqs of this boot are contiguous').toEqual(seqs.map((_, i) => first + i));
  expect(status.broker.published - resent(metrics), 'published (less resent) = distinct seqs').toBe(
    seqs.length,
  );
  expect(metrics.value('fieldbridge_mqtt_published_total')).toBe(status.broker.published);
  expect(metrics.value('fieldbridge_mqtt_acknowledged_total')).toBe(status.broker.acknowledged);
  expect(metrics.value('fieldbridge_mqtt_rejected_total')).toBe(status.broker.rejected);
  expect(status.broker.rejected).toBe(0);
  expect(metrics.value('fieldbridge_mqtt_connected')).toBe(status.broker.connected ? 1 : 0);
  expect(metrics.value('fieldbridge_queue_depth_messages')).toBe(status.queue.depth);

  for (const device of status.devices) {
    expectDeviceAgrees(gw, sub, device, metrics, options);
  }
  await expectStatusCliAgrees(gw, status);
  return status;
}

/** Waits until nothing is in flight or queued and every published message has arrived; then snapshots. */
async function quietSnapshot(
  gw: AcceptanceGateway,
  sub: MqttSub,
  boot: string,
): Promise<{ status: ApiStatus; metrics: Metrics }> {
  const deadline = Date.now() + QUIET_TIMEOUT_MS;
  let last = '';
  for (;;) {
    const before = await gw.apiStatus();
    const metrics = await gw.metrics();
    const after = await gw.apiStatus();
    const b = after.broker;
    const arrived = new Set(ofBoot(sub, boot).map((m) => m.seq)).size;
    const quiet =
      b.published === before.broker.published &&
      b.published === b.acknowledged &&
      b.inflight === 0 &&
      after.queue.depth === 0 &&
      metrics.value('fieldbridge_mqtt_published_total') === b.published &&
      b.published - resent(metrics) === arrived;
    if (quiet) return { status: after, metrics };
    last = `published ${b.published}, acknowledged ${b.acknowledged}, in flight ${b.inflight}, queue ${after.queue.depth}, arrived ${arrived}`;
    if (Date.now() > deadline) {
      throw new Error(`the gateway did not become quiet within ${QUIET_TIMEOUT_MS} ms: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function resent(metrics: Metrics): number {
  return metrics.value('fieldbridge_mqtt_resent_total');
}

function ofBoot(sub: MqttSub, boot: string): TagMessage[] {
  return sub.messages.flatMap((m) => {
    const json = m.json as Partial<TagMessage> | undefined;
    if (json?.boot !== boot || typeof json.seq !== 'number') return [];
    return [{ ...(json as TagMessage), topic: m.topic, received: m }];
  });
}

function expectDeviceAgrees(
  gw: AcceptanceGateway,
  sub: MqttSub,
  device: ApiDevice,
  metrics: Metrics,
  options: AgreementOptions,
): void {
  const name = device.name;
  const from = options.deviceMessagesFrom?.[name] ?? 0;
  const arrived = ofBoot(sub, options.boot).filter(
    (m) => m.topic.startsWith(`${gw.topicPrefix}/${name}/`) && sub.messages.indexOf(m.received) >= from,
  );
  expect(device.published, `${name}: published = messages that arrived on its topics`).toBe(arrived.length);
  for (const tag of device.tags) {
    const topic = gw.topic(name, tag.name);
    const last = tagMessages(sub, topic)
      .filter((m) => m.boot === options.boot)
      .at(-1);
    if (tag.quality === 'unread') {
      expect(last, `${topic}: unread in /api/status, but a message arrived`).toBeUndefined();
      continue;
    }
    expect(last, `${topic}: ${tag.quality} in /api/status, but no message arrived`).toBeDefined();
    expect(
      { value: tag.value, quality: tag.quality, ts: tag.ts },
      `${topic}: /api/status vs the last message`,
    ).toEqual({ value: last?.value, quality: last?.quality, ts: last?.tsMs });
  }
  const labels = { device: name };
  expect(metrics.value('fieldbridge_device_connected', labels), `${name}: device_connected`).toBe(
    device.state === 'connected' ? 1 : 0,
  );
  for (const quality of ['good', 'bad', 'stale']) {
    const count = device.tags.filter((t) => t.quality === quality).length;
    const samples = metrics.find('fieldbridge_tags', { ...labels, quality });
    const value = samples.length === 0 ? 0 : metrics.value('fieldbridge_tags', { ...labels, quality });
    expect(value, `${name}: fieldbridge_tags{quality="${quality}"}`).toBe(count);
  }
  expect(
    metrics.value('fieldbridge_device_polls_total', labels),
    `${name}: device_polls_total`,
  ).toBeGreaterThanOrEqual(1);
}

async function expectStatusCliAgrees(gw: AcceptanceGateway, status: ApiStatus): Promise<void> {
  const result = await gw.statusCli();
  const b = status.broker;
  // The CLI's figures are compared with the snapshot's: only meaningful if nothing moved meanwhile.
  const afterCli = await gw.apiStatus();
  expect(afterCli.broker.published, 'the gateway stayed quiet while `fieldbridge status` ran').toBe(
    b.published,
  );
  expect(result.stderr, 'fieldbridge status: stderr').toBe('');
  expect(result.code, `fieldbridge status: exit code (ready: ${status.gateway.ready})`).toBe(
    status.gateway.ready ? 0 : 1,
  );
  const g = status.gateway;
  const verdict = !g.ready ? 'NOT READY' : g.problems.length > 0 ? 'ready, DEGRADED' : 'ready';
  expect(result.stdout).toMatch(
    new RegExp(`^gateway ${gw.gatewayId} ${g.version.replaceAll('.', '\\.')}, up \\d+ s: ${verdict}\n`),
  );
  for (const problem of g.problems) expect(result.stdout).toContain(`  - ${problem}\n`);
  expect(result.stdout).toContain(
    `broker: ${b.connected ? 'connected' : 'disconnected'}, published ${b.published}, acknowledged ${b.acknowledged}, in flight 0`,
  );
  const rows = tableRows(result.stdout, STATUS_COLUMNS);
  expect(rows.map((r) => r.DEVICE)).toEqual(status.devices.map((d) => d.name));
  for (const device of status.devices) {
    const row = rows.find((r) => r.DEVICE === device.name);
    const count = (q: string) => device.tags.filter((t) => t.quality === q).length;
    expect(row, `fieldbridge status: row of ${device.name}`).toMatchObject({
      DRIVER: device.driver,
      STATE: device.state,
      'GOOD/BAD/STALE': `${count('good')}/${count('bad')}/${count('stale')}`,
    });
  }
}
