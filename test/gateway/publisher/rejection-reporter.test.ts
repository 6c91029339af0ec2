/**
 * Refusals logged once per burst per topic (issue 12, point 4), on a manual clock: the first refusal of
 * a topic at once, the rest of the interval as one line with the count and seq range, a new burst after
 * a quiet interval, topics and reason codes apart, and the tail of a burst on close.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { RejectionReporter } from '../../../gateway/publisher/rejection-reporter.ts';
import { captureLog } from './fixtures.ts';

const manualClock = (): ManualClock => new ManualClock();

const DENIED = { reasonCode: 0x87, reason: 'Not authorized' };

describe('RejectionReporter', () => {
  it('logs the first refusal of a topic at once and the rest of its burst as one counted line per interval', () => {
    const { log, lines } = captureLog();
    const clock = manualClock();
    const reporter = new RejectionReporter(log, 10_000, clock);

    // 100 refusals per second on one topic for 20 s: 2,000 refusals, as in the issue.
    let seq = 0;
    for (let ms = 0; ms < 20_000; ms += 10) {
      reporter.report({ topic: 'fb/plc/secret', seq: ++seq, ...DENIED });
      clock.advance(10);
    }
    const messages = lines.map((l) => l.msg);
    expect(messages).toEqual([
      'broker refused a message on fb/plc/secret for good (Not authorized, reason code 0x87); dropped it. Further refusals on this topic are counted and logged every 10 s',
      'broker refused 999 more messages on fb/plc/secret for good (Not authorized, reason code 0x87; seqs 2..1000); dropped them',
      'broker refused 1,000 more messages on fb/plc/secret for good (Not authorized, reason code 0x87; seqs 1001..2000); dropped them',
    ]);
    expect(lines.every((l) => l.level === 50)).toBe(true);
    // Every refusal is in exactly one line's count.
    expect(lines.reduce((sum, l) => sum + (l.rejected as number), 0)).toBe(2000);
    expect(lines[1]).toMatchObject({ topic: 'fb/plc/secret', reasonCode: 0x87, rejected: 999, fromSeq: 2 });

    // A quiet interval ends the burst: the next refusal is logged at once again.
    clock.advance(10_000);
    expect(clock.pending).toBe(0);
    reporter.report({ topic: 'fb/plc/secret', seq: 5000, ...DENIED });
    expect(lines.at(-1)).toMatchObject({ seq: 5000, rejected: 1 });
    expect(lines).toHaveLength(4);
  });

  it('keeps topics and reason codes apart: a burst on one never hides the first refusal of another', () => {
    const { log, lines } = captureLog();
    const clock = manualClock();
    const reporter = new RejectionReporter(log, 10_000, clock);
    reporter.report({ topic: 'a', seq: 1, ...DENIED });
    reporter.report({ topic: 'a', seq: 2, ...DENIED });
    reporter.report({ topic: 'b', seq: 3, ...DENIED });
    reporter.report({ topic: 'a', seq: 4, reasonCode: 0x99, reason: 'Payload format invalid' });
    expect(lines.map((l) => [l.topic, l.seq, l.reasonCode])).toEqual([
      ['a', 1, 0x87],
      ['b', 3, 0x87],
      ['a', 4, 0x99],
    ]);
    clock.advance(10_000);
    expect(lines.slice(3).map((l) => [l.topic, l.rejected, l.fromSeq, l.toSeq])).toEqual([['a', 1, 2, 2]]);
    expect(lines[3]!.msg).toContain('refused 1 more message on a');
  });

  it('logs the tail of a burst on close and leaves no timer behind', () => {
    const { log, lines } = captureLog();
    const clock = manualClock();
    const reporter = new RejectionReporter(log, 10_000, clock);
    for (let seq = 1; seq <= 5; seq++) reporter.report({ topic: 'a', seq, ...DENIED });
    reporter.report({ topic: 'b', seq: 6, ...DENIED });
    reporter.close();
    expect(lines.map((l) => [l.topic, l.rejected])).toEqual([
      ['a', 1],
      ['b', 1],
      ['a', 4],
    ]);
    expect(clock.pending).toBe(0);
  });
});
