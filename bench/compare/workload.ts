/**
 * A scenario's workload, described once and turned into both a fieldbridge config and a Node-RED flow,
 * so the two sides poll the same registers at the same rate and publish the same messages.
 *
 * - 'block': every simulated device has `blocksPerDevice` blocks of 125 holding registers, published as
 *   one JSON message per block per poll with every register as a uint16 tag r0…r124. Registers 0..3 of
 *   each block hold the epoch ms of the last change (uint64, big-endian word order), so change→delivery
 *   latency is read from the message itself.
 * - 'per-tag': every device has `tagsPerDevice` float32 tags (2 registers each, from holding 0), one
 *   message per tag per poll. The value is the simulator's change generation, whose time the harness
 *   keeps (a float32 holds integers exactly up to 2^24: 19 days of 100 ms periods).
 */
export const BLOCK_REGISTERS = 125;
/** float32 tags per read: 62 × 2 = 124 registers, what fieldbridge's planner packs into one request. */
export const FLOATS_PER_READ = 62;

export type WorkloadMode = 'block' | 'per-tag';

export interface Workload {
  readonly mode: WorkloadMode;
  readonly devices: number;
  readonly pollIntervalMs: number;
  /** Block mode: blocks of 125 registers per device. */
  readonly blocksPerDevice: number;
  /** Per-tag mode: float32 tags per device. */
  readonly tagsPerDevice: number;
}

export interface ReadSpan {
  readonly address: number;
  readonly count: number;
}

/** The Modbus reads of one device per poll (the same split fieldbridge's planner makes). */
export function readsPerDevice(w: Workload): ReadSpan[] {
  const reads: ReadSpan[] = [];
  if (w.mode === 'block') {
    for (let b = 0; b < w.blocksPerDevice; b++)
      reads.push({ address: b * BLOCK_REGISTERS, count: BLOCK_REGISTERS });
  } else {
    for (let first = 0; first < w.tagsPerDevice; first += FLOATS_PER_READ) {
      const tags = Math.min(FLOATS_PER_READ, w.tagsPerDevice - first);
      reads.push({ address: first * 2, count: tags * 2 });
    }
  }
  return reads;
}

/** Messages per second the workload should produce. */
export function offeredMessagesPerSecond(w: Workload): number {
  const perPoll = w.mode === 'block' ? w.blocksPerDevice : w.tagsPerDevice;
  return (w.devices * perPoll * 1000) / w.pollIntervalMs;
}

/** Registers (block mode) or tags (per-tag mode) carried per message. */
export function unitsPerMessage(w: Workload): number {
  return w.mode === 'block' ? BLOCK_REGISTERS : 1;
}

export function deviceName(index: number): string {
  return `d${index}`;
}

/** Topic prefix on both sides. */
export const TOPIC_PREFIX = 'bench';
