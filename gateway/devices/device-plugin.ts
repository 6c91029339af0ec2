/**
 * How the gateway runs a device without knowing its protocol. A DevicePlugin compiles a device's config
 * and its (typed) mapping once into a CompiledDevice: the tags, and a factory for the driver whose
 * readings arrive already decoded into protocol-neutral TagSamples. Compiling comes first and building
 * the driver second, so whoever consumes the samples (gateway/devices/device-pipeline.ts) is complete
 * before the first reading can arrive.
 */
import type { ConnectionState, Driver } from '../../core/driver.ts';
import type { TagReading } from '../../core/sample.ts';
import type { ReportPolicy } from '../../mappings/report.ts';
import type { DeviceConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';

export interface DeviceTag {
  readonly name: string;
  readonly unit?: string | undefined;
  readonly publish: ReportPolicy;
}

export interface DeviceEvents {
  /** One decoded reading, index-aligned with CompiledDevice.tags (undefined: tag not in this reading). */
  onSamples(samples: TagReading, ts: number): void;
  onConnectionState(state: ConnectionState, reason?: string): void;
}

/** A device's mapping compiled for its config: everything the poll loop needs, nothing left to parse. */
export interface CompiledDevice {
  readonly tags: readonly DeviceTag[];
  /** Default for staleAfterMs when the config gives none. */
  readonly defaultStaleAfterMs: number;
  /**
   * Builds the driver (not started). Each of its readings is decoded through the compiled mapping and
   * handed to `events.onSamples`. Throws a clear Error naming the device when it cannot be built (an RTU
   * line whose settings differ from another device's on the same port).
   */
  createDriver(events: DeviceEvents): Driver;
}

/** A compiled device with its driver: for tools and tests that use the samples directly. */
export interface DeviceInstance {
  readonly tags: readonly DeviceTag[];
  readonly driver: Driver;
}

/** Builds the driver of a compiled device, for `fieldbridge read` and tests. */
export function instantiate(compiled: CompiledDevice, events: DeviceEvents): DeviceInstance {
  return { tags: compiled.tags, driver: compiled.createDriver(events) };
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

export interface DevicePlugin<C extends DeviceConfig, M> {
  /**
   * Compiles the mapping for the device; throws a clear Error naming the device when it cannot.
   * Without a context, a plugin that needs one falls back to the gateway's defaults (tests use that).
   */
  compile(device: C, mapping: M, log: Logger, context?: DeviceContext): CompiledDevice;
}
