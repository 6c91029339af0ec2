/**
 * How the gateway runs a device without knowing its protocol: a DevicePlugin joins a protocol's mapping
 * compiler (mappings/) and its driver (drivers/) and hands back protocol-neutral TagSamples.
 */
import type { ConnectionState, Driver } from '../../core/driver.ts';
import type { ReportPolicy } from '../../mappings/report.ts';
import type { TagReading } from '../../core/sample.ts';
import type { DeviceConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';

export interface DeviceTag {
  readonly name: string;
  readonly unit?: string | undefined;
  readonly publish: ReportPolicy;
}

export interface DeviceEvents {
  /** One reading, index-aligned with DeviceInstance.tags (undefined: tag not in this reading). */
  onSamples(samples: TagReading, ts: number): void;
  onConnectionState(state: ConnectionState, reason?: string): void;
}

export interface DeviceInstance {
  readonly tags: readonly DeviceTag[];
  readonly driver: Driver;
  /** Default for staleAfterMs when the config gives none. */
  readonly defaultStaleAfterMs: number;
}

/** What some drivers need from the gateway beyond their own config (OPC UA: where its certificates live). */
export interface DeviceContext {
  /** The gateway's state directory (absolute). */
  readonly stateDir: string;
  /** For secrets: the gateway's environment ($CREDENTIALS_DIRECTORY included). */
  readonly env: NodeJS.ProcessEnv;
  /** systemd credentials directory; default env.CREDENTIALS_DIRECTORY. */
  readonly credentialsDir?: string | undefined;
  /**
   * Objects the plugins of one gateway share (one Map per gateway, never module state): Modbus RTU keeps
   * its bus registry here, so the devices on one serial line share one port. Without it each device
   * gets its own line (fine for tests and single-device tools).
   */
  readonly shared?: Map<string, unknown> | undefined;
  /**
   * Where in its poll interval the device polls, as a fraction 0 ≤ f < 1 (after a first poll at start).
   * The gateway spreads its devices evenly so that their polls, and the messages they produce, do not
   * all arrive at the same instant (bursts that every later stage would have to absorb). Default 0.
   */
  readonly pollPhase?: number | undefined;
}

/** The phase of `context` in ms of `intervalMs` (0 when none is given). */
export function pollPhaseMs(context: DeviceContext | undefined, intervalMs: number): number {
  const phase = context?.pollPhase ?? 0;
  return phase > 0 && phase < 1 ? Math.round(phase * intervalMs) : 0;
}

export interface DevicePlugin<C extends DeviceConfig = DeviceConfig> {
  /**
   * Compiles the mapping and builds the driver; throws a clear Error naming the device when it cannot.
   * Without a context, a plugin that needs one falls back to the gateway's defaults (tests use that).
   */
  create(
    device: C,
    mapping: unknown,
    log: Logger,
    events: DeviceEvents,
    context?: DeviceContext,
  ): DeviceInstance;
}
