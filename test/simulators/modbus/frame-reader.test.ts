import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../../simulators/modbus/frame-reader.ts';
import { readPdu, request } from '../../drivers/modbus/raw-client.ts';

function collect() {
  const frames: string[] = [];
  let invalid = 0;
  const reader = new FrameReader(
    (frame, offset, length) => {
      frames.push(frame.subarray(offset, offset + 6 + length).toString('hex'));
      return true;
    },
    () => invalid++,
  );
  return { reader, frames, invalid: () => invalid };
}

const a = request(1, 1, readPdu(3, 0, 10));
const b = request(2, 1, [16, 0, 5, 0, 2, 4, 0x12, 0x34, 0x56, 0x78]);
const c = request(3, 9, readPdu(1, 100, 3));
const stream = Buffer.concat([a, b, c]);
const expected = [a, b, c].map((frame) => frame.toString('hex'));

describe('FrameReader', () => {
  it('splits several frames that arrive in one chunk', () => {
    const { reader, frames } = collect();
    reader.push(stream);
    expect(frames).toEqual(expected);
  });

  it('reassembles frames split at every possible byte position', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const { reader, frames } = collect();
      reader.push(stream.subarray(0, cut));
      reader.push(stream.subarray(cut));
      expect(frames, `cut at ${cut}`).toEqual(expected);
    }
  });

  it('reassembles a stream delivered one byte at a time', () => {
    const { reader, frames } = collect();
    for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1));
    expect(frames).toEqual(expected);
  });

  it('reports a length no request can have and reads nothing after it', () => {
    const { reader, frames, invalid } = collect();
    const bad = Buffer.from([0, 4, 0, 0, 0x01, 0x00, 1, 3]); // length 256 > 254
    reader.push(Buffer.concat([a, bad]));
    reader.push(b);
    expect(frames).toEqual([expected[0]]);
    expect(invalid()).toBe(1);
  });

  it('discards frames whose protocol id is not 0 and keeps reading', () => {
    const { reader, frames } = collect();
    const foreign = Buffer.from(a);
    foreign.writeUInt16BE(1, 2);
    reader.push(Buffer.concat([foreign, b]));
    expect(frames).toEqual([expected[1]]);
  });

  it('stops when the handler says so', () => {
    const frames: number[] = [];
    const reader = new FrameReader(
      (frame, offset) => {
        frames.push(frame.readUInt16BE(offset));
        return false;
      },
      () => {},
    );
    reader.push(stream);
    reader.push(a);
    expect(frames).toEqual([1]);
  });
});
