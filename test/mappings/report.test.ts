import { describe, expect, it } from 'vitest';
import type { TagSample } from '../../core/sample.ts';
import { ReportByException, type ReportPolicy } from '../../mappings/report.ts';

const change = (deadband = 0, heartbeatMs = 0): ReportPolicy => ({ mode: 'change', deadband, heartbeatMs });
const good = (value: TagSample['value'], ts = 0): TagSample => ({ tag: 't', value, quality: 'good', ts });
const bad = (error = 'timeout after 1000 ms', ts = 0): TagSample => ({
  tag: 't',
  value: null,
  quality: 'bad',
  ts,
  error,
});

/** Feeds one tag's samples at the given times and returns what was published. */
function run(policy: ReportPolicy, steps: [number, TagSample][], staleAfterMs = 10_000) {
  const report = new ReportByException([policy], staleAfterMs, 0);
  return steps.flatMap(([now, sample]) => report.filter([sample], now).map((s) => [now, s.quality, s.value]));
}

describe('report by exception', () => {
  it('republishes an unchanged value of a tag whose message was not queued (forget), and only that tag', () => {
    const report = new ReportByException([change(), change()], 10_000, 0);
    expect(report.filter([good(1), good(5)], 0).map((s) => s.value)).toEqual([1, 5]);
    expect(report.filter([good(1), good(5)], 1)).toEqual([]);
    report.forget([0]);
    const index: number[] = [];
    expect(report.filter([good(1), good(5)], 2, index).map((s) => s.value)).toEqual([1]);
    expect(index).toEqual([0]);
    expect(report.filter([good(1), good(5)], 3)).toEqual([]);
  });

  it('publishes the first value and then only changes', () => {
    expect(
      run(change(), [
        [0, good(1)],
        [1, good(1)],
        [2, good(2)],
        [3, good(2)],
        [4, good(1)],
      ]),
    ).toEqual([
      [0, 'good', 1],
      [2, 'good', 2],
      [4, 'good', 1],
    ]);
  });

  it('applies an absolute deadband against the last published value, so slow drift still reports', () => {
    const steps: [number, TagSample][] = [0, 0.3, 0.6, 0.9, 1.2, 1.3].map((v, i) => [i, good(v)]);
    expect(run(change(0.5), steps).map((p) => p[2])).toEqual([0, 0.6, 1.2]);
  });

  it('a change equal to the deadband is not published', () => {
    expect(
      run(change(1), [
        [0, good(10)],
        [1, good(11)],
        [2, good(11.5)],
      ]).map((p) => p[2]),
    ).toEqual([10, 11.5]);
  });

  it('republishes an unchanged value on heartbeat', () => {
    const steps: [number, TagSample][] = [0, 400, 999, 1000, 1500, 2000].map((t) => [t, good(5)]);
    expect(run(change(0, 1000), steps).map((p) => p[0])).toEqual([0, 1000, 2000]);
  });

  it('mode always publishes every sample', () => {
    expect(
      run({ mode: 'always', deadband: 0, heartbeatMs: 0 }, [
        [0, good(1)],
        [1, good(1)],
      ]),
    ).toHaveLength(2);
  });

  it('never swallows the first bad read after good, nor the recovery', () => {
    const out = run(change(), [
      [0, good(1)],
      [1, bad()],
      [2, bad()],
      [3, good(1)],
    ]);
    expect(out).toEqual([
      [0, 'good', 1],
      [1, 'bad', null],
      [3, 'good', 1],
    ]);
  });

  it('turns bad into stale once the last good read is staleAfterMs old, and publishes that transition once', () => {
    const out = run(
      change(),
      [
        [0, good(1)],
        [1000, bad()],
        [5000, bad()],
        [9_999, bad()],
        [10_000, bad()],
        [12_000, bad()],
      ],
      10_000,
    );
    expect(out).toEqual([
      [0, 'good', 1],
      [1000, 'bad', null],
      [10_000, 'stale', null],
    ]);
  });

  it('a tag that was never good becomes stale staleAfterMs after start', () => {
    expect(
      run(
        change(),
        [
          [100, bad()],
          [10_000, bad()],
        ],
        10_000,
      ).map((p) => p[1]),
    ).toEqual(['bad', 'stale']);
  });

  it('publishes a bad sample again when the reason changes', () => {
    const out = run(change(), [
      [0, bad('timeout')],
      [1, bad('timeout')],
      [2, bad('Modbus exception 04')],
    ]);
    expect(out.map((p) => p[0])).toEqual([0, 2]);
  });

  it('compares arrays element-wise and strings exactly', () => {
    expect(
      run(change(), [
        [0, good([1, 2])],
        [1, good([1, 2])],
        [2, good([1, 3])],
      ]).map((p) => p[0]),
    ).toEqual([0, 2]);
    expect(
      run(change(5), [
        [0, good('a')],
        [1, good('a')],
        [2, good('b')],
      ]).map((p) => p[0]),
    ).toEqual([0, 2]);
  });

  it('reports the tag index of every published sample', () => {
    const report = new ReportByException([change(), change(), change()], 1000, 0);
    report.filter([good(1), good(2), good(3)], 0);
    const index: number[] = [];
    const out = report.filter([good(1), good(20), good(30)], 1, index);
    expect(out.map((s) => s.value)).toEqual([20, 30]);
    expect(index).toEqual([1, 2]);
  });
});
