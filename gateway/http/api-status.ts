/**
 * The /api/status document: what the status page and `fieldbridge status` show. Plain JSON; ages are
 * computed here so clients need no clock agreement with the gateway.
 */
import type { TagValue } from '../../core/sample.ts';
import type { GatewayStatus } from '../gateway.ts';
import type { PollHealth } from './poll-health.ts';
import { readiness } from './readiness.ts';

export interface ApiTag {
  readonly name: string;
  readonly value: TagValue | null;
  /** good | bad | stale, or "unread" for a tag not read since start (so every configured tag is listed). */
  readonly quality: string;
  readonly ts: number | null;
  readonly ageMs: number | null;
  readonly error?: string;
}

export interface ApiDevice {
  readonly name: string;
  readonly driver: string;
  readonly state: string;
  readonly lastError: string | null;
  readonly polls: number;
  readonly published: number;
  /** Messages of this device the queue did not take (disk full, back-pressure). */
  readonly notQueued: number;
  readonly failedPollPercent: number;
  readonly tags: readonly ApiTag[];
}

export interface ApiStatus {
  readonly gateway: {
    readonly id: string;
    readonly boot: string;
    readonly version: string;
    readonly uptimeSeconds: number;
    readonly ready: boolean;
    readonly problems: readonly string[];
  };
  readonly broker: {
    readonly connected: boolean;
    readonly lastError: string | null;
    readonly published: number;
    readonly acknowledged: number;
    /** Refused for good by the broker (MQTT 5 negative PUBACK): dropped, each a gap (docs/delivery.md). */
    readonly rejected: number;
    readonly inflight: number;
    readonly reconnects: number;
  };
  readonly queue: {
    readonly depth: number;
    readonly bytes: number;
    readonly oldestAgeSeconds: number | null;
    readonly dropped: number;
    readonly degraded: boolean;
    /** Not stored, by reason: each a lost message whose seq is skipped (docs/delivery.md). */
    readonly notQueued: { readonly writeFailed: number; readonly backPressure: number };
    readonly pendingBytes: number;
    /** Seqs a killed previous process reserved and did not store (not loss: docs/delivery.md). */
    readonly unstoredSeqs: { readonly from: number; readonly to: number } | null;
    /** Damage the open found in the store: where the copy is kept and what was lost. */
    readonly storeDamage: {
      readonly movedTo: string | null;
      readonly walCopy: string | null;
      readonly lostMessages: number;
      readonly lossKnown: boolean;
    } | null;
  };
  readonly devices: readonly ApiDevice[];
}

export interface ApiStatusContext {
  readonly version: string;
  readonly startedAt: number;
  readonly now: number;
}

export function apiStatus(status: GatewayStatus, health: PollHealth, ctx: ApiStatusContext): ApiStatus {
  const ready = readiness(status, health);
  const { publisher: p, queue: q } = status;
  return {
    gateway: {
      id: status.id,
      boot: status.boot,
      version: ctx.version,
      uptimeSeconds: Math.round((ctx.now - ctx.startedAt) / 1000),
      ready: ready.ready,
      problems: ready.problems,
    },
    broker: {
      connected: p.connected,
      lastError: p.lastError ?? null,
      published: p.published,
      acknowledged: p.acknowledged,
      rejected: p.rejected,
      inflight: p.inflight,
      reconnects: p.reconnects,
    },
    queue: {
      depth: q.depth,
      bytes: q.bytes,
      oldestAgeSeconds: q.oldestEnqueuedAt === undefined ? null : (ctx.now - q.oldestEnqueuedAt) / 1000,
      dropped: q.dropped,
      degraded: q.degraded,
      notQueued: { writeFailed: q.notQueued.write_failed, backPressure: q.notQueued.back_pressure },
      pendingBytes: q.pendingBytes,
      unstoredSeqs:
        q.unstoredSeqs === undefined ? null : { from: q.unstoredSeqs.from, to: q.unstoredSeqs.to },
      storeDamage:
        q.storeDamage === undefined
          ? null
          : {
              movedTo: q.storeDamage.movedTo ?? null,
              walCopy: q.storeDamage.walCopy ?? null,
              lostMessages: q.storeDamage.lostMessages,
              lossKnown: q.storeDamage.lossKnown,
            },
    },
    devices: status.devices.map((d) => ({
      name: d.name,
      driver: d.driver,
      state: d.state,
      lastError: d.lastError ?? null,
      polls: d.polls,
      published: d.published,
      notQueued: d.enqueueErrors,
      failedPollPercent: Math.round(health.failedFraction(d.name) * 100),
      tags: d.tagNames.map((name, i): ApiTag => {
        const t = d.tags[i];
        if (t === undefined) return { name, value: null, quality: 'unread', ts: null, ageMs: null };
        return {
          name,
          value: t.value,
          quality: t.quality,
          ts: t.ts,
          ageMs: Math.max(0, ctx.now - t.ts),
          ...(t.error === undefined ? {} : { error: t.error }),
        };
      }),
    })),
  };
}
