import { describe, expect, it } from 'vitest';
import type { TagSample } from '../../core/sample.ts';
import { createEncoder, type EncoderOptions, payloadFormatOf } from '../../gateway/payloads/encoder.ts';
import { fillTopic } from '../../gateway/payloads/topics.ts';

const context = { prefix: 'plant', gateway: 'edge1', device: 'plc1' };
const ts = Date.UTC(2026, 10, 25, 19, 40, 41, 123);

/** Both JSON encoders of one device, as the pipeline would choose them (per-tag or batch). */
function createMessageBuilder(options: EncoderOptions) {
  const perTag = createEncoder('json-per-tag', options);
  const batch = createEncoder('json-batch', options);
  return {
    perTag: (samples: readonly TagSample[], index: readonly number[]) => perTag.encode(samples, index, ts),
    batch: (samples: readonly TagSample[], index: readonly number[], at: number) => {
      const messages = batch.encode(samples, index, at);
      expect(messages).toHaveLength(1);
      return messages[0]!;
    },
  };
}

describe('messages', () => {
  it('chooses the format from the device config: batch JSON only with batch: true', () => {
    expect(payloadFormatOf({ batch: true })).toBe('json-batch');
    expect(payloadFormatOf({ batch: false })).toBe('json-per-tag');
    expect(payloadFormatOf({})).toBe('json-per-tag');
  });

  it('fills topic templates', () => {
    expect(fillTopic('{prefix}/{gateway}/{device}/{tag}', context, 'tank.level')).toBe(
      'plant/edge1/plc1/tank.level',
    );
    expect(fillTopic('site/{device}', context)).toBe('site/plc1');
  });

  const builder = createMessageBuilder({
    tags: [{ name: 'level', unit: 'm' }, { name: 'running' }],
    context,
    topicTemplate: '{prefix}/{device}/{tag}',
    batchTemplate: '{prefix}/{device}',
  });

  it('builds one QoS 1 message per tag with value, quality, both timestamps and unit', () => {
    const samples: TagSample[] = [
      { tag: 'running', value: true, quality: 'good', ts },
      {
        tag: 'level',
        value: null,
        quality: 'bad',
        ts,
        error: 'Modbus exception 02 (illegal data address)',
        code: 2,
      },
    ];
    const [a, b] = builder.perTag(samples, [1, 0]);
    expect(a?.topic).toBe('plant/plc1/running');
    expect(a?.qos).toBe(1);
    expect(JSON.parse(a!.payload.toString())).toEqual({
      value: true,
      quality: 'good',
      ts: '2026-11-25T19:40:41.123Z',
      tsMs: ts,
    });
    expect(b?.topic).toBe('plant/plc1/level');
    expect(JSON.parse(b!.payload.toString())).toEqual({
      value: null,
      quality: 'bad',
      ts: '2026-11-25T19:40:41.123Z',
      tsMs: ts,
      unit: 'm',
      error: 'Modbus exception 02 (illegal data address)',
      code: 2,
    });
  });

  it('builds one batch message per poll', () => {
    const message = builder.batch(
      [
        { tag: 'level', value: 2.5, quality: 'good', ts },
        { tag: 'running', value: false, quality: 'good', ts },
      ],
      [0, 1],
      ts,
    );
    expect(message.topic).toBe('plant/plc1');
    expect(JSON.parse(message.payload.toString())).toEqual({
      device: 'plc1',
      ts: '2026-11-25T19:40:41.123Z',
      tsMs: ts,
      tags: { level: { value: 2.5, quality: 'good', unit: 'm' }, running: { value: false, quality: 'good' } },
    });
  });

  // The builder writes JSON from precomputed pieces; it must match JSON.stringify of the documented
  // payload objects byte for byte, for every kind of value and every quality.
  describe('writes exactly what JSON.stringify writes', () => {
    const tags = [
      { name: 'plain', unit: 'm³/h' },
      { name: 'quote"and\\backslash', unit: 'say "hi"' },
      { name: 'ünïcode ✓' },
      { name: 'array' },
    ];
    const b = createMessageBuilder({
      tags,
      context,
      topicTemplate: '{device}/{tag}',
      batchTemplate: '{device}',
    });
    const values: TagSample['value'][] = [
      0,
      -0,
      1.5,
      -123456.789,
      1e21,
      5e-324,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      true,
      false,
      null,
      '18446744073709551615',
      'line\nbreak "q" \u0001',
      [1, 2.5, Number.NaN],
      [true, false],
      ['a', 'b'],
    ];
    const samples: TagSample[] = values.map((value, i) => ({
      tag: tags[i % tags.length]!.name,
      value,
      quality: value === null ? 'bad' : 'good',
      ts: ts + (i % 3),
      ...(value === null ? { error: 'timeout after 1000 ms "x"', code: 0x80ab0000 } : {}),
    }));
    const stale: TagSample = { tag: 'plain', value: null, quality: 'stale', ts, error: 'gone' };
    const codeOnly: TagSample = { tag: 'plain', value: 3, quality: 'good', ts, code: 0 };
    const all = [...samples, stale, codeOnly];
    const indexOf = (sample: TagSample) => tags.findIndex((t) => t.name === sample.tag);

    function reference(sample: TagSample, unit: string | undefined): Record<string, unknown> {
      const p: Record<string, unknown> = { value: sample.value, quality: sample.quality };
      p.ts = new Date(sample.ts).toISOString();
      p.tsMs = sample.ts;
      if (unit !== undefined) p.unit = unit;
      if (sample.error !== undefined) p.error = sample.error;
      if (sample.code !== undefined) p.code = sample.code;
      return p;
    }

    it('per tag', () => {
      const out = b.perTag(all, all.map(indexOf));
      expect(out).toHaveLength(all.length);
      all.forEach((sample, i) => {
        const unit = tags[indexOf(sample)]!.unit;
        expect(out[i]!.payload.toString()).toBe(JSON.stringify(reference(sample, unit)));
        expect(out[i]!.topic).toBe(`plc1/${sample.tag}`);
      });
    });

    it('batch (one sample per tag, some with their own timestamp)', () => {
      const batchSamples = tags.map((_, i) => all[i * 3 + 1]!).map((s, i) => ({ ...s, tag: tags[i]!.name }));
      const message = b.batch(batchSamples, [0, 1, 2, 3], ts);
      const expected: Record<string, unknown> = {};
      for (const sample of batchSamples) {
        const { ts: _iso, tsMs: _ms, ...rest } = reference(sample, tags[indexOf(sample)]!.unit);
        expected[sample.tag] = sample.ts === ts ? rest : { ...rest, tsMs: sample.ts };
      }
      expect(message.payload.toString()).toBe(
        JSON.stringify({ device: 'plc1', ts: new Date(ts).toISOString(), tsMs: ts, tags: expected }),
      );
      expect(b.batch([], [], ts).payload.toString()).toBe(
        JSON.stringify({ device: 'plc1', ts: new Date(ts).toISOString(), tsMs: ts, tags: {} }),
      );
    });
  });
});
