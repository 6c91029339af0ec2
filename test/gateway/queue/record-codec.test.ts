import { describe, expect, it } from 'vitest';
import {
  decodeValue,
  encodeValue,
  messageKey,
  seqOfKey,
  storedSize,
} from '../../../gateway/queue/record-codec.ts';

const message = {
  topic: 'plant/温度',
  payload: Buffer.from([0, 255, 10, 13]),
  qos: 1 as const,
  retain: true,
};

describe('record codec', () => {
  it('round-trips every field, binary payload included', () => {
    const value = encodeValue(message, 1_700_000_000_123);
    expect(decodeValue(7, value)).toEqual({ ...message, seq: 7, enqueuedAt: 1_700_000_000_123 });
    expect(messageKey(7).length + value.length).toBe(storedSize(message));
  });

  it('orders keys lexically in numeric seq order', () => {
    const seqs = [1, 2, 255, 256, 65_535, 65_536, 2 ** 32, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER];
    const sorted = seqs.map(messageKey).sort(Buffer.compare).map(seqOfKey);
    expect(sorted).toEqual(seqs);
    // The on-disk layout: 'q' + seq as an unsigned 64-bit big-endian integer (stores written before stay readable).
    for (const seq of seqs) {
      const expected = Buffer.alloc(9);
      expected[0] = 0x71;
      expected.writeBigUInt64BE(BigInt(seq), 1);
      expect(messageKey(seq)).toEqual(expected);
    }
  });

  it('rejects values that are not well-formed records, naming the seq', () => {
    const good = encodeValue(message, 1);
    expect(() => decodeValue(3, Buffer.from('garbage'))).toThrow(
      'record 3: 7 bytes, shorter than the 10-byte header',
    );
    expect(() => decodeValue(3, Buffer.concat([Buffer.from([9]), good.subarray(1)]))).toThrow(
      'record 3: unknown format version 9 (expected 1)',
    );
    expect(() => decodeValue(3, good.subarray(0, 12))).toThrow(
      'record 3: topic length 12 runs past the 12-byte value',
    );
  });

  it('refuses topics longer than MQTT allows', () => {
    expect(() => encodeValue({ ...message, topic: 'x'.repeat(70_000) }, 1)).toThrow(
      /70000 bytes, MQTT allows 65535/,
    );
  });
});
