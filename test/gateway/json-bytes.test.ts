import { describe, expect, it } from 'vitest';
import { JsonBytes } from '../../gateway/json-bytes.ts';

describe('JsonBytes', () => {
  it('writes numbers exactly as JSON.stringify does', () => {
    const numbers = [
      0,
      -0,
      7,
      -7,
      10,
      100,
      65_535,
      -32_768,
      1_795_635_641_123,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
      2 ** 53,
      2 ** 60,
      1e21,
      -1e-7,
      0.1,
      21.5,
      -123.456,
      5e-324,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ];
    const out = new JsonBytes(4);
    for (const n of numbers) {
      out.number(n);
      expect(out.take().toString()).toBe(JSON.stringify(n));
    }
  });

  it('grows past its initial size and hands out independent buffers', () => {
    const out = new JsonBytes(4);
    out.bytes(Buffer.from('{"a":'));
    out.text(JSON.stringify('ünïcode ✓ "quoted"'));
    out.bytes(Buffer.from('}'));
    const first = out.take();
    out.text('"overwrites the scratch"');
    const second = out.take();
    expect(first.toString()).toBe('{"a":"ünïcode ✓ \\"quoted\\""}');
    expect(JSON.parse(first.toString())).toEqual({ a: 'ünïcode ✓ "quoted"' });
    expect(second.toString()).toBe('"overwrites the scratch"');
    expect(out.take()).toHaveLength(0);
  });
});
