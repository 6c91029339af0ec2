/**
 * A subscription group: one OPC UA subscription with one monitored item per tag (issue 5). The server
 * samples each item and pushes changes every publishing interval; the first notification carries every
 * item's current value. An item the server refuses (BadNodeIdUnknown, BadFilterNotAllowed for a deadband
 * on a non-numeric node, …) makes only its tag bad, with the server's code kept.
 */
import type {
  ClientSession,
  ClientSubscription,
  MonitoringParametersOptions,
  ReadValueIdOptions,
} from 'node-opcua-client';
import type { CompiledSubscriptionGroup } from '../../mappings/opcua/compile.ts';
import { formatStatus } from '../../mappings/opcua/convert.ts';
import type { OpcUaItemResult, OpcUaReading } from '../../mappings/opcua/reading.ts';

type OpcUa = typeof import('node-opcua-client');

export interface SubscriptionGroupOptions {
  readonly opcua: OpcUa;
  readonly group: CompiledSubscriptionGroup;
  readonly session: ClientSession;
  readonly items: readonly { readonly tag: number; readonly read: ReadValueIdOptions }[];
  /** The session's timeout: keep-alives must come well within it. */
  readonly sessionTimeoutMs: number;
  readonly onReading: (reading: OpcUaReading) => void;
  /** The subscription died (terminated by the server, or timed out): the driver rebuilds the session. */
  readonly onFailure: (error: Error) => void;
}

export interface SubscriptionGroup {
  /** The server's id of the subscription; it changes when node-opcua had to recreate it. */
  readonly subscriptionId: number;
  /** How long the server keeps the subscription without a client (lifetime count × interval). */
  readonly lifetimeMs: number;
  /**
   * While paused, notifications are dropped: during a session repair node-opcua may recreate the
   * subscription with stale numeric node ids, whose values must not reach a tag.
   */
  pause(paused: boolean): void;
  stop(): Promise<void>;
}

function monitoringParameters(opcua: OpcUa, group: CompiledSubscriptionGroup): MonitoringParametersOptions {
  const base = {
    samplingInterval: group.samplingIntervalMs,
    queueSize: group.queueSize,
    discardOldest: true,
  };
  if (group.deadband === undefined) return base;
  return {
    ...base,
    filter: new opcua.DataChangeFilter({
      trigger: opcua.DataChangeTrigger.StatusValue,
      deadbandType:
        group.deadband.type === 'percent' ? opcua.DeadbandType.Percent : opcua.DeadbandType.Absolute,
      deadbandValue: group.deadband.value,
    }),
  };
}

export async function startSubscriptionGroup(options: SubscriptionGroupOptions): Promise<SubscriptionGroup> {
  const { opcua, group, session, items, onReading, onFailure } = options;
  let stopped = false;
  let paused = false;
  const subscription: ClientSubscription = await session.createSubscription2({
    requestedPublishingInterval: group.publishingIntervalMs,
    // Lifetime and keep-alive counts per Part 4, 5.13.2: the server keeps the subscription for
    // lifetime × interval without a publish request (the window in which a transfer is possible);
    // keep-alives every maxKeepAlive × interval, at most half the session timeout so that an idle
    // subscription keeps its session alive (node-opcua refuses longer ones, its warning W09).
    requestedLifetimeCount: 60,
    requestedMaxKeepAliveCount: Math.max(
      1,
      Math.min(10, Math.floor(options.sessionTimeoutMs / (2 * group.publishingIntervalMs))),
    ),
    maxNotificationsPerPublish: 0,
    publishingEnabled: true,
    priority: 1,
  });
  subscription.on('terminated', () => {
    if (!stopped) onFailure(new Error(`subscription of group "${group.name}" was terminated`));
  });
  if (items.length > 0) {
    const monitored = await subscription.monitorItems(
      items.map((i) => i.read),
      monitoringParameters(opcua, group),
      opcua.TimestampsToReturn.Both,
    );
    // node-opcua emits one 'changed' per item, synchronously for all items of one notification: they are
    // gathered into one reading (flushed at the end of the turn), so a notification is one "poll" for
    // /metrics and readiness, and one message in batch mode, as a Modbus poll is. An item already
    // gathered (queueSize > 1 brings several values of one item) flushes first: no value is lost.
    let gathered: OpcUaItemResult[] = [];
    const gatheredTags = new Set<number>();
    const flush = (): void => {
      const results = gathered;
      gathered = [];
      gatheredTags.clear();
      if (results.length > 0 && !stopped && !paused) onReading({ ts: Date.now(), results });
    };
    monitored.on('changed', (_item, dataValue, index) => {
      const item = items[index];
      if (stopped || paused || item === undefined) return;
      if (gatheredTags.has(item.tag)) flush();
      if (gathered.length === 0) queueMicrotask(flush);
      gathered.push({ tag: item.tag, dataValue });
      gatheredTags.add(item.tag);
    });
    const refused: OpcUaItemResult[] = [];
    monitored.monitoredItems.forEach((monitoredItem, index) => {
      const item = items[index];
      const status = monitoredItem.statusCode;
      if (item === undefined || status === undefined || status.isGood()) return;
      refused.push({
        tag: item.tag,
        error: `the server refused to monitor ${String(item.read.nodeId)}: ${formatStatus(status)}`,
        code: status.value >>> 0,
      });
    });
    if (refused.length > 0) onReading({ ts: Date.now(), results: refused });
  }
  return {
    get subscriptionId() {
      return subscription.subscriptionId;
    },
    lifetimeMs: subscription.lifetimeCount * subscription.publishingInterval,
    pause(value) {
      paused = value;
    },
    async stop() {
      stopped = true;
      await subscription.terminate().catch(() => {
        // the session or connection is already gone: nothing left to terminate
      });
    },
  };
}
