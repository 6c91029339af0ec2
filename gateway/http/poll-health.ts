/**
 * The devices' error budget for /readyz: a device is within budget while at most half of its last
 * WINDOW polls failed completely (every tag bad). One flaky read does not flip readiness; a device
 * that is down does, within WINDOW polls.
 */
import type { TagReading } from '../../mappings/sample.ts';

const WINDOW = 20;
const MAX_FAILED_FRACTION = 0.5;

export class PollHealth {
  /** Device → outcomes of its last WINDOW polls (true = failed), oldest first. */
  readonly #recent = new Map<string, boolean[]>();

  record(device: string, samples: TagReading): void {
    // Only the tags in this reading count: an OPC UA notification with one bad item is not a failed poll.
    let inReading = 0;
    let bad = 0;
    for (const sample of samples) {
      if (sample === undefined) continue;
      inReading++;
      if (sample.quality === 'bad') bad++;
    }
    const failed = inReading > 0 && bad === inReading;
    let outcomes = this.#recent.get(device);
    if (outcomes === undefined) {
      outcomes = [];
      this.#recent.set(device, outcomes);
    }
    outcomes.push(failed);
    if (outcomes.length > WINDOW) outcomes.shift();
  }

  /** Failed fraction of the device's recent polls; 0 before its first poll. */
  failedFraction(device: string): number {
    const outcomes = this.#recent.get(device) ?? [];
    if (outcomes.length === 0) return 0;
    return outcomes.filter(Boolean).length / outcomes.length;
  }

  withinBudget(device: string): boolean {
    return this.failedFraction(device) <= MAX_FAILED_FRACTION;
  }
}
