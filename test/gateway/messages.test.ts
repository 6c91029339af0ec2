import { describe, expect, it } from 'vitest';
import { createMessageBuilder, fillTopic } from '../../gateway/messages.ts';
import type { TagSample } from '../../mappings/sample.ts';

const context = { prefix: 'plant', gateway: 'edge1', device: 'plc1' };
const ts = Date.UTC(2026, 10, 25, 19, 40, 41, 123);

describe('messages', () => {
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
});
