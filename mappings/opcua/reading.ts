/**
 * What the OPC UA driver reports (drivers/opcua) and the OPC UA mapping decodes: per-tag results from one
 * Read or one subscription notification. Only the tags in `results` changed; the rest are left out.
 */
import type { DataValueLike } from './convert.ts';

export type OpcUaItemResult =
  | { readonly tag: number; readonly dataValue: DataValueLike }
  /** The item could not be read or monitored at all (unknown namespace, BadNodeIdUnknown, connection lost). */
  | { readonly tag: number; readonly error: string; readonly code?: number };

export interface OpcUaReading {
  /** Epoch ms when the driver received it. */
  readonly ts: number;
  /** `tag` is the index into the compiled mapping's tags. */
  readonly results: readonly OpcUaItemResult[];
}
