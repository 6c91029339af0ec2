/**
 * Everything a gateway fault test needs: a Mosquitto with persistence (a graceful restart keeps the
 * subscriber's session and the messages queued for it, so the broker side cannot lose anything), a
 * counter PLC, a persistent-session counting subscriber, and the gateway as a separate process.
 *
 * Loss is judged on the queue's `seq` stamp: seqs are contiguous and survive restarts, so every seq from
 * 1 to the highest one received must arrive, except those a restarted gateway announced as reserved and
 * never stored by the process that was killed (docs/delivery.md).
 */
import { expect } from 'vitest';
import { type PreparedGateway, prepareGateway } from '../helpers/gateway-process.ts';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { type DeliveryCounts, range, type Subscriber, startSubscriber } from '../helpers/subscriber.ts';
import { type CounterPlc, startCounterPlc } from './counter-plc.ts';

export const PREFIX = 'fault';
export const DEVICE = 'plc1';

/** One device message as the subscriber got it. */
export interface Delivered {
  readonly topic: string;
  readonly seq: number;
  readonly boot: string;
  readonly historical: boolean;
  /** The counter value; null when the read failed (quality bad or stale). */
  readonly value: number | null;
  readonly quality: string;
  readonly tsMs: number;
}

export interface FaultRig {
  readonly broker: Mosquitto;
  readonly plc: CounterPlc;
  readonly sub: Subscriber;
  readonly gw: PreparedGateway;
  /** Every device message received so far, in arrival order (duplicates included). */
  delivered(): readonly Delivered[];
  maxSeq(): number;
  /**
   * The seqs that must arrive: 1..maxSeq less the ranges a restarted gateway announced as reserved by a
   * killed process and not stored ("queue was not closed by the previous process", docs/delivery.md).
   */
  expectedSeqs(): number[];
  /** Waits until `count` more distinct seqs than now have arrived. */
  waitForMore(count: number, timeoutMs?: number): Promise<void>;
  /**
   * Pauses the PLC and waits until the newest value of every counter and (unless `allSeqs` is false,
   * for tests where the queue dropped messages) every seq up to the highest have arrived: the backlog
   * is fully replayed. Returns the counts over 1..maxSeq.
   */
  drain(options?: { readonly allSeqs?: boolean; readonly timeoutMs?: number }): Promise<DeliveryCounts>;
  /**
   * Reads that never arrived: per topic, holes in the counter values (the PLC's witness of what it
   * answered, independent of the queue's seqs) not explained by a failed read the gateway published in
   * between. A read answered just as the gateway died shows up here too.
   */
  readGaps(): ReadGap[];
  dispose(): Promise<void>;
}

export interface ReadGap {
  readonly topic: string;
  /** The last value received before the hole. */
  readonly after: number;
  /** How many consecutive values are missing. */
  readonly missing: number;
}

export interface FaultRigOptions {
  /** Counters (= messages per poll). Default 4. */
  readonly tags?: number;
  /** Gateway `queue` config. Default `{ "type": "level" }`. */
  readonly queue?: Record<string, unknown>;
}

export async function startFaultRig(options: FaultRigOptions = {}): Promise<FaultRig> {
  const broker = await startMosquitto({ persistence: true });
  const plc = await startCounterPlc({ tags: options.tags ?? 4 });
  const sub = await startSubscriber({ url: broker.url, topics: [`${PREFIX}/${DEVICE}/#`] });
  const gw = await prepareGateway({
    mqttUrl: broker.url,
    topicPrefix: PREFIX,
    devices: [{ name: DEVICE, port: plc.port }],
    mapping: plc.mapping,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
  });

  const delivered: Delivered[] = [];
  let parsed = 0;
  let maxSeq = 0;
  /** Parses the messages that arrived since the last call (incremental: predicates run per message). */
  const update = (): void => {
    const messages = sub.messages;
    for (; parsed < messages.length; parsed++) {
      const m = messages[parsed]!;
      const body = JSON.parse(m.payload.toString()) as Record<string, unknown>;
      const d: Delivered = {
        topic: m.topic,
        seq: body.seq as number,
        boot: body.boot as string,
        historical: body.historical === true,
        value: body.value as number | null,
        quality: body.quality as string,
        tsMs: body.tsMs as number,
      };
      delivered.push(d);
      if (d.seq > maxSeq) maxSeq = d.seq;
    }
  };

  const unstoredRanges = (): { from: number; to: number }[] =>
    gw.runs
      .flatMap((run) => run.logs)
      .filter((l) => typeof l.unstoredFrom === 'number' && typeof l.unstoredTo === 'number')
      .map((l) => ({ from: l.unstoredFrom as number, to: l.unstoredTo as number }));
  const unstoredCount = (): number => unstoredRanges().reduce((n, r) => n + r.to - r.from + 1, 0);
  function expectedSeqs(): number[] {
    update();
    const ranges = unstoredRanges();
    return range(1, maxSeq).filter((seq) => !ranges.some((r) => seq >= r.from && seq <= r.to));
  }

  return {
    broker,
    plc,
    sub,
    gw,
    delivered: () => {
      update();
      return delivered;
    },
    maxSeq: () => {
      update();
      return maxSeq;
    },
    expectedSeqs,
    waitForMore: async (count, timeoutMs = 20_000) => {
      const target = sub.counts().unique + count;
      await sub.waitFor((c) => c.unique >= target, timeoutMs);
    },
    drain: async ({ allSeqs = true, timeoutMs = 30_000 } = {}) => {
      plc.pause();
      const newest = plc.reads;
      const newestSeen = new Set<string>();
      let checked = 0;
      await sub.waitFor((c) => {
        update();
        for (; checked < delivered.length; checked++) {
          const d = delivered[checked]!;
          if (d.value === (newest & 0xffff)) newestSeen.add(d.topic);
        }
        if (newestSeen.size !== plc.tagNames.length) return false;
        return (
          !allSeqs ||
          (c.unique >= maxSeq - unstoredCount() && sub.counts(expectedSeqs()).missing.length === 0)
        );
      }, timeoutMs);
      return sub.counts(expectedSeqs());
    },
    readGaps: () => {
      update();
      // Per topic: the good values in seq order (first copy of each seq), and the seqs of failed reads.
      const byTopic = new Map<string, { good: Delivered[]; failedSeqs: number[] }>();
      const seen = new Set<number>();
      for (const d of [...delivered].sort((a, b) => a.seq - b.seq)) {
        if (seen.has(d.seq)) continue;
        seen.add(d.seq);
        const entry = byTopic.get(d.topic) ?? { good: [], failedSeqs: [] };
        byTopic.set(d.topic, entry);
        if (d.quality === 'good' && d.value !== null) entry.good.push(d);
        else entry.failedSeqs.push(d.seq);
      }
      const gaps: ReadGap[] = [];
      for (const [topic, { good, failedSeqs }] of byTopic) {
        for (let i = 1; i < good.length; i++) {
          const prev = good[i - 1]!;
          const next = good[i]!;
          // A republished value (the first read after a restart is always published) is no hole.
          const missing = next.value! - prev.value! - 1;
          // A read the PLC answered but the gateway reported as failed (e.g. a timeout on a loaded
          // machine) is not a store-and-forward loss: its failure was published in its place.
          const explained = failedSeqs.some((s) => s > prev.seq && s < next.seq);
          if (missing > 0 && !explained) gaps.push({ topic, after: prev.value!, missing });
        }
      }
      return gaps;
    },
    dispose: async () => {
      await gw.dispose();
      await sub.close().catch(() => undefined);
      await plc.close();
      await broker.dispose();
    },
  };
}

/** The promise itself: nothing missing in 1..maxSeq and each topic in order (duplicates allowed). */
export function expectNothingLost(counts: DeliveryCounts, maxSeq: number): void {
  expect(maxSeq).toBeGreaterThan(0);
  expect({ missing: counts.missing.slice(0, 20), missingCount: counts.missing.length }).toEqual({
    missing: [],
    missingCount: 0,
  });
  expect(counts.outOfOrderByTopic).toEqual({});
}

/**
 * No read lost on its way to the broker: no hole in the PLC's counters, except one per read the gateway
 * itself reported as failed at the device (a timeout or dropped connection on a loaded machine: the PLC
 * counted a read whose reply the gateway never used). `allowedPerTopic` adds holes the test expects
 * (the last moments before a SIGKILL).
 */
export function expectNoReadsLost(rig: FaultRig, allowedPerTopic = 0): void {
  const deviceFailures = rig.gw.runs
    .flatMap((run) => run.logs)
    .filter((l) => l.device !== undefined && l.level >= 40 && /timeout|disconnected/i.test(l.msg)).length;
  const missingByTopic: Record<string, number> = {};
  for (const gap of rig.readGaps()) {
    missingByTopic[gap.topic] = (missingByTopic[gap.topic] ?? 0) + gap.missing;
  }
  const over = Object.entries(missingByTopic).filter(([, n]) => n > deviceFailures + allowedPerTopic);
  expect(over, `holes in the PLC's read counters: ${JSON.stringify(rig.readGaps().slice(0, 8))}`).toEqual([]);
}

/** A seq names one message for good: every copy of a seq carries the same topic, value and read time. */
export function expectSeqsNeverReused(delivered: readonly Delivered[]): void {
  const first = new Map<number, Delivered>();
  const conflicts: string[] = [];
  for (const d of delivered) {
    const seen = first.get(d.seq);
    if (seen === undefined) first.set(d.seq, d);
    else if (seen.topic !== d.topic || seen.value !== d.value || seen.tsMs !== d.tsMs) {
      conflicts.push(`seq ${d.seq}: ${JSON.stringify(seen)} vs ${JSON.stringify(d)}`);
    }
  }
  expect(conflicts.slice(0, 5)).toEqual([]);
}

/** Polls `condition` every 10 ms (for state outside any event: the PLC's read counter). */
export async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
