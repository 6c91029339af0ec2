/**
 * What the mapping layer hands to the gateway: decoded, typed tag values with a quality.
 * Protocol-neutral: Modbus and OPC UA mappings both produce TagSamples.
 */

/** good: read and decoded; bad: read failed (exception, timeout, decode error); stale: no good read for too long. */
export type Quality = 'good' | 'bad' | 'stale';

/** JSON-ready value. 64-bit integers outside ±(2^53−1) are decimal strings (never rounded). */
export type TagValue = number | boolean | string | readonly TagValue[];

export interface TagSample {
  /** Tag name, unique within its device. */
  readonly tag: string;
  /** null when quality is not good. */
  readonly value: TagValue | null;
  readonly quality: Quality;
  /** Epoch ms of the read (or the source timestamp where the protocol has one). */
  readonly ts: number;
  /** Why the quality is not good, e.g. "Modbus exception 02 (illegal data address)" or "timeout after 1000 ms". */
  readonly error?: string;
  /** Protocol status code kept alongside the quality (Modbus exception code, OPC UA StatusCode). */
  readonly code?: number;
}

/**
 * One reading of a device: index-aligned with the device's tags, always dense. `undefined` means "this
 * tag is not in this reading" (an OPC UA notification carries only the items that changed; a Modbus poll
 * reads every tag). Never a sparse array: every consumer sees each index and must handle `undefined`.
 */
export type TagReading = readonly (TagSample | undefined)[];
