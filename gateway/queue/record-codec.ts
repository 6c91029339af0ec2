/**
 * How a queued message is laid out in LevelDB. Binary rather than JSON-with-base64: the payload is stored
 * as-is (no 4/3 base64 growth, no string round trip) and encoding is a few buffer copies; bench/queue-bench.ts
 * measures both.
 *
 * Key:   'q' + seq as unsigned 64-bit big-endian, so lexical key order is numeric seq order.
 * Value: [0] format version (1)
 *        [1] flags: bit 0 = qos 1, bit 1 = retain
 *        [2..7] enqueuedAt, epoch ms, unsigned 48-bit big-endian (enough until the year 10889)
 *        [8..9] topic byte length, unsigned 16-bit big-endian (MQTT caps topics at 65 535 bytes)
 *        topic (UTF-8), then the payload bytes up to the end.
 */
import type { OutgoingMessage, QueuedMessage } from './queue.ts';

export const MESSAGE_KEY_PREFIX = 0x71; // 'q'
/** Exclusive upper bound of the message key range ('r'). */
export const MESSAGE_KEY_END = Buffer.from([MESSAGE_KEY_PREFIX + 1]);
export const MESSAGE_KEY_START = Buffer.from([MESSAGE_KEY_PREFIX]);
const KEY_LENGTH = 9;
const FORMAT_VERSION = 1;
const HEADER_LENGTH = 10;
const MAX_TOPIC_BYTES = 0xffff;

export function messageKey(seq: number): Buffer {
  const key = Buffer.allocUnsafe(KEY_LENGTH);
  key[0] = MESSAGE_KEY_PREFIX;
  // Two 32-bit halves rather than a BigInt per key: seqs stay below 2^53, and this runs twice per message.
  key.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 1);
  key.writeUInt32BE(seq >>> 0, 5);
  return key;
}

export function seqOfKey(key: Buffer): number {
  if (key.length !== KEY_LENGTH || key[0] !== MESSAGE_KEY_PREFIX) {
    throw new Error(`not a queue message key: ${key.toString('hex')} (expected 'q' + 8-byte seq)`);
  }
  return key.readUInt32BE(1) * 0x1_0000_0000 + key.readUInt32BE(5);
}

/** Bytes one message takes in the store (key + value): what `maxBytes` and `stats().bytes` count. */
export function storedSize(message: OutgoingMessage): number {
  return KEY_LENGTH + HEADER_LENGTH + Buffer.byteLength(message.topic) + message.payload.length;
}

export function encodeValue(message: OutgoingMessage, enqueuedAt: number): Buffer {
  const topicLength = Buffer.byteLength(message.topic);
  if (topicLength > MAX_TOPIC_BYTES) {
    throw new Error(`topic "${message.topic.slice(0, 80)}…" is ${topicLength} bytes, MQTT allows 65535`);
  }
  const value = Buffer.allocUnsafe(HEADER_LENGTH + topicLength + message.payload.length);
  value[0] = FORMAT_VERSION;
  value[1] = (message.qos === 1 ? 1 : 0) | (message.retain ? 2 : 0);
  value.writeUIntBE(enqueuedAt, 2, 6);
  value.writeUInt16BE(topicLength, 8);
  value.write(message.topic, HEADER_LENGTH, 'utf8');
  message.payload.copy(value, HEADER_LENGTH + topicLength);
  return value;
}

/** Throws when the value is not a well-formed record (wrong version, bad flags, lengths past the end). */
export function decodeValue(seq: number, value: Buffer): QueuedMessage {
  if (value.length < HEADER_LENGTH) {
    throw new Error(`record ${seq}: ${value.length} bytes, shorter than the ${HEADER_LENGTH}-byte header`);
  }
  if (value[0] !== FORMAT_VERSION) {
    throw new Error(`record ${seq}: unknown format version ${value[0]} (expected ${FORMAT_VERSION})`);
  }
  const flags = value[1] ?? 0;
  if (flags > 3) throw new Error(`record ${seq}: invalid flags 0x${flags.toString(16)}`);
  const topicLength = value.readUInt16BE(8);
  if (HEADER_LENGTH + topicLength > value.length) {
    throw new Error(`record ${seq}: topic length ${topicLength} runs past the ${value.length}-byte value`);
  }
  const topicEnd = HEADER_LENGTH + topicLength;
  return {
    seq,
    enqueuedAt: value.readUIntBE(2, 6),
    qos: (flags & 1) === 1 ? 1 : 0,
    retain: (flags & 2) === 2,
    topic: value.toString('utf8', HEADER_LENGTH, topicEnd),
    // A view, not a copy: classic-level hands out a fresh buffer per value, so nothing else shares it.
    payload: value.subarray(topicEnd),
  };
}

/**
 * The message a just-encoded record holds, without decoding it: the topic string is the producer's own
 * (no new string per message) and the payload a view into `value`, which only the queue holds.
 */
export function messageOfRecord(
  seq: number,
  value: Buffer,
  source: OutgoingMessage,
  enqueuedAt: number,
): QueuedMessage {
  return {
    seq,
    enqueuedAt,
    qos: source.qos,
    retain: source.retain,
    topic: source.topic,
    payload: value.subarray(HEADER_LENGTH + value.readUInt16BE(8)),
  };
}

/** enqueuedAt without decoding the rest (used by the open scan and the bound checks). */
export function enqueuedAtOf(value: Buffer): number {
  return value.readUIntBE(2, 6);
}
