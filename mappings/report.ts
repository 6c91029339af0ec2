/**
 * Report-by-exception: decides which TagSamples are worth publishing. Per tag:
 * - the first sample, and every change of quality (so the first bad read after good is never swallowed);
 * - mode "always": every sample;
 * - mode "change": a value change — for numbers only when it moved by more than the absolute deadband
 *   from the last *published* value (so slow drift is still reported once it adds up);
 * - a heartbeat: an unchanged sample is republished when heartbeatMs have passed since the last publish.
 * And "stale": a tag with no good read for staleAfterMs is reported with quality "stale" instead of "bad",
 * so consumers can tell "one failed poll" from "this device has been gone for a while".
 *
 * Compiled once per device; `filter` does no lookups by name (tags are addressed by their index).
 */
import type { Quality, TagReading, TagSample, TagValue } from '../core/sample.ts';

export interface ReportPolicy {
  readonly mode: 'change' | 'always';
  readonly deadband: number;
  /** 0 = no heartbeat. */
  readonly heartbeatMs: number;
}

interface TagState {
  published: boolean;
  lastValue: TagValue | null;
  lastQuality: Quality;
  lastError: string | undefined;
  lastPublishedAt: number;
  lastGoodAt: number;
}

export class ReportByException {
  readonly #policies: readonly ReportPolicy[];
  readonly #states: TagState[];
  readonly #staleAfterMs: number;

  /**
   * @param policies one per tag, index-aligned with the samples that `filter` will receive
   * @param staleAfterMs a tag with no good read for this long is reported as stale
   * @param startedAt when polling started: a tag never read good becomes stale staleAfterMs after it
   */
  constructor(policies: readonly ReportPolicy[], staleAfterMs: number, startedAt: number) {
    this.#policies = policies;
    this.#staleAfterMs = staleAfterMs;
    this.#states = policies.map(() => ({
      published: false,
      lastValue: null,
      lastQuality: 'bad' as Quality,
      lastError: undefined,
      lastPublishedAt: 0,
      lastGoodAt: startedAt,
    }));
  }

  /**
   * Returns the samples to publish (in input order), with bad turned into stale where due, and pushes
   * each one's tag index onto `outIndex`. `samples[i]` must belong to tag i.
   */
  filter(samples: TagReading, now: number, outIndex: number[] = []): TagSample[] {
    const out: TagSample[] = [];
    for (let i = 0; i < samples.length; i++) {
      const state = this.#states[i];
      const policy = this.#policies[i];
      let sample = samples[i];
      if (state === undefined || policy === undefined || sample === undefined) continue;
      if (sample.quality === 'good') {
        state.lastGoodAt = now;
      } else if (sample.quality === 'bad' && now - state.lastGoodAt >= this.#staleAfterMs) {
        sample = { ...sample, quality: 'stale' };
      }
      if (this.#shouldPublish(state, policy, sample, now)) {
        state.published = true;
        state.lastValue = sample.value;
        state.lastQuality = sample.quality;
        state.lastError = sample.error;
        state.lastPublishedAt = now;
        out.push(sample);
        outIndex.push(i);
      }
    }
    return out;
  }

  /**
   * The messages of these tags were not queued (disk full, back-pressure): their next sample is published
   * whatever it is, so the current value reaches the broker once the queue takes messages again.
   */
  forget(tagIndexes: readonly number[]): void {
    for (const i of tagIndexes) {
      const state = this.#states[i];
      if (state !== undefined) state.published = false;
    }
  }

  #shouldPublish(state: TagState, policy: ReportPolicy, sample: TagSample, now: number): boolean {
    if (!state.published || policy.mode === 'always') return true;
    if (sample.quality !== state.lastQuality) return true;
    if (policy.heartbeatMs > 0 && now - state.lastPublishedAt >= policy.heartbeatMs) return true;
    if (sample.quality !== 'good') return sample.error !== state.lastError && sample.quality === 'bad';
    return valueChanged(state.lastValue, sample.value, policy.deadband);
  }
}

function valueChanged(previous: TagValue | null, next: TagValue | null, deadband: number): boolean {
  if (typeof previous === 'number' && typeof next === 'number') {
    return deadband > 0 ? Math.abs(next - previous) > deadband : next !== previous;
  }
  if (Array.isArray(previous) && Array.isArray(next)) {
    if (previous.length !== next.length) return true;
    for (let i = 0; i < next.length; i++) {
      if (valueChanged(previous[i] ?? null, next[i] ?? null, deadband)) return true;
    }
    return false;
  }
  return previous !== next;
}
