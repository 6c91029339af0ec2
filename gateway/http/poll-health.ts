/**
 * The devices' error budget for /readyz: a device is within budget while at most half of its last
 * WINDOW polls failed completely: every tag of the reading bad, and for want of an answer (timeout,
 * connection). One flaky read does not flip readiness; a device that is down does, within WINDOW polls.
 * A device that answers with per-tag errors (a Modbus exception, an OPC UA BadNodeIdUnknown, a NaN) is
 * reachable: those tags are bad, the device is not failing.
 */

import { errorKind } from '../../core/error-kinds.ts';
import type { TagReading } from '../../core/sample.ts';

const WINDOW = 20;
const MAX_FAILED_FRACTION = 0.5;

export class PollHealth {
  /** Device → outcomes of its last WINDOW polls (true = failed), oldest first. */
  readonly #recent = new Map<string, boolean[]>();

  record(device: string, samples: TagReading): void {
    // Only the tags in this reading count: an OPC UA notification with one bad item is not a failed poll.
    let inReading = 0;
    let bad = 0;
    let unanswered = false;
    for (const sample of samples) {
      if (sample === undefined) continue;
      inReading++;
      if (sample.quality !== 'bad') continue;
      bad++;
      const kind = errorKind(sample);
      if (kind === 'timeout' || kind === 'connection') unanswered = true;
    }
    const failed = inReading > 0 && bad === inReading && unanswered;
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
