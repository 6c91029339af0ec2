import { describe, expect, it } from 'vitest';
import type { TagSample } from '../../../core/sample.ts';
import { PollHealth } from '../../../gateway/http/poll-health.ts';

const good: TagSample = { tag: 'a', value: 1, quality: 'good', ts: 0 };
const timeout: TagSample = { tag: 'a', value: null, quality: 'bad', ts: 0, error: 'timeout after 1000 ms' };
const refusedNode: TagSample = {
  tag: 'b',
  value: null,
  quality: 'bad',
  ts: 0,
  error: 'BadNodeIdUnknown (0x80340000)',
  code: 0x80340000,
};
const nan: TagSample = {
  tag: 'c',
  value: null,
  quality: 'bad',
  ts: 0,
  error: 'Double value NaN is not a finite number',
};

describe('PollHealth', () => {
  it('counts a reading as failed only when every tag in it is bad for want of an answer', () => {
    const health = new PollHealth();
    health.record('plc', [timeout, undefined]);
    health.record('plc', [good, timeout]);
    health.record('plc', [undefined, refusedNode]);
    health.record('plc', [nan]);
    expect(health.failedFraction('plc')).toBe(0.25);
  });

  it('a device that answers with per-tag errors only stays within its budget', () => {
    const health = new PollHealth();
    for (let i = 0; i < 20; i++) health.record('opc', [undefined, refusedNode, nan]);
    expect(health.failedFraction('opc')).toBe(0);
    expect(health.withinBudget('opc')).toBe(true);
    for (let i = 0; i < 20; i++) health.record('down', [timeout]);
    expect(health.withinBudget('down')).toBe(false);
  });
});
