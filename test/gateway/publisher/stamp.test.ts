import { describe, expect, it } from 'vitest';
import { createStamper } from '../../../gateway/publisher/stamp.ts';

describe('createStamper', () => {
  const stamper = createStamper('b"1');

  it('puts seq and boot first in a JSON object payload', () => {
    const out = stamper.payload(Buffer.from('{"value":21.5,"quality":"good"}'), 42, false);
    expect(out.toString()).toBe('{"seq":42,"boot":"b\\"1","value":21.5,"quality":"good"}');
    expect(JSON.parse(out.toString())).toEqual({ seq: 42, boot: 'b"1', value: 21.5, quality: 'good' });
  });

  it('adds historical:true for backlog messages', () => {
    const out = stamper.payload(Buffer.from('{"v":1}'), 7, true);
    expect(JSON.parse(out.toString())).toEqual({ seq: 7, boot: 'b"1', historical: true, v: 1 });
  });

  it.each(['{}', '{ }', '{\n}'])('stamps an empty object %j without a dangling comma', (payload) => {
    expect(JSON.parse(stamper.payload(Buffer.from(payload), 1, false).toString())).toEqual({
      seq: 1,
      boot: 'b"1',
    });
  });

  it.each(['21.5', '[1,2]', '', 'plain text'])('leaves a non-object payload %j untouched', (payload) => {
    expect(stamper.payload(Buffer.from(payload), 1, true).toString()).toBe(payload);
  });

  it('builds MQTT 5 user properties', () => {
    expect(stamper.userProperties(3, false)).toEqual({ seq: '3', boot: 'b"1' });
    expect(stamper.userProperties(3, true)).toEqual({ seq: '3', boot: 'b"1', historical: 'true' });
  });
});
