/**
 * The Modbus driver for one device, whatever its bus: Modbus TCP (a bus of its own), RTU on a serial
 * line or RTU over TCP (a bus shared with the other unit ids on the line). It relays the bus's
 * connection changes, schedules its DevicePoller on the bus, and writes through the bus.
 */
import type { Logger } from 'pino';
import type { ConnectionState, Driver, DriverEvents } from '../../core/driver.ts';
import type { ModbusBus, ModbusBusStats } from './bus.ts';
import {
  DevicePoller,
  type DevicePollerOptions,
  type DevicePollerStats,
  type ModbusDriverReading,
} from './device-poller.ts';
import { type ModbusWriter, writeAndVerify } from './writer.ts';

/** A bus lent to one device; release() when the device stops (the last user stops the bus). */
export interface BusLease {
  readonly bus: ModbusBus;
  release(): Promise<void>;
}

export interface ModbusDeviceDriverStats extends DevicePollerStats, ModbusBusStats {
  /** Same as skippedPolls (the Modbus TCP driver's earlier name). */
  readonly overruns: number;
}

export interface ModbusDeviceDriver extends Driver, ModbusWriter {
  stats(): ModbusDeviceDriverStats;
}

export interface ModbusDeviceDriverOptions extends DevicePollerOptions {
  /** Called once by start(). */
  readonly lease: () => BusLease;
}

export function createModbusDeviceDriver(
  options: ModbusDeviceDriverOptions,
  events: DriverEvents<ModbusDriverReading>,
): ModbusDeviceDriver {
  return new DeviceDriver(options, events);
}

class DeviceDriver implements ModbusDeviceDriver {
  readonly #options: ModbusDeviceDriverOptions;
  readonly #events: DriverEvents<ModbusDriverReading>;
  readonly #log: Logger;
  readonly #poller: DevicePoller;
  #lease: BusLease | undefined;
  #detach: (() => void) | undefined;
  #unsubscribe: (() => void) | undefined;
  #state: ConnectionState | undefined;
  /** The bus's state and reason, and the unit's silence on it: the device's state combines them. */
  #busState: ConnectionState = 'connecting';
  #busReason: string | undefined;
  #unitSilence: string | undefined;
  #started = false;
  #stopped = false;

  constructor(options: ModbusDeviceDriverOptions, events: DriverEvents<ModbusDriverReading>) {
    this.#options = options;
    this.#events = events;
    this.#log = options.log;
    this.#poller = new DevicePoller(
      options,
      (reading) => events.onReading(reading),
      (silent, reason) => {
        this.#unitSilence = silent ? reason : undefined;
        this.#report();
      },
    );
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#setState('connecting');
    const lease = this.#options.lease();
    this.#lease = lease;
    const { bus } = lease;
    this.#unsubscribe = bus.onState((state, reason) => this.#onBusState(state, reason));
    if (bus.state !== 'connecting') this.#onBusState(bus.state, bus.stateReason);
    this.#detach = bus.attach(this.#poller);
    bus.start();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#detach?.();
    this.#unsubscribe?.();
    // The poll in progress completes first (each request is bounded by timeoutMs) so its values are
    // queued; then the last user of the bus closes the connection.
    await this.#poller.stop();
    await this.#lease?.release();
  }

  stats(): ModbusDeviceDriverStats {
    const poller = this.#poller.stats();
    const bus = this.#lease?.bus.stats() ?? { connects: 0, staleReplies: 0, skippedPolls: 0 };
    return { ...bus, ...poller, overruns: poller.skippedPolls };
  }

  writeRegisters(address: number, values: Uint16Array): Promise<void> {
    return this.#write('holding', address, values);
  }

  writeCoils(address: number, values: readonly boolean[]): Promise<void> {
    return this.#write('coil', address, values);
  }

  #write(area: 'holding' | 'coil', address: number, values: Uint16Array | readonly boolean[]): Promise<void> {
    const bus = this.#lease?.bus;
    if (bus === undefined || this.#stopped) {
      return Promise.reject(
        new Error(`device "${this.#options.device}": cannot write, the driver is not running`),
      );
    }
    return bus.exclusive((io) => writeAndVerify(io, this.#options, area, address, values));
  }

  #onBusState(state: ConnectionState, reason: string | undefined): void {
    this.#busState = state;
    this.#busReason = reason;
    this.#report();
  }

  /**
   * The device is connected when its line is up and its unit answers: a unit that stays silent on a
   * connected TCP link or serial line (its circuit breaker open) is reported disconnected, with why.
   */
  #report(): void {
    if (this.#busState === 'connected' && this.#unitSilence !== undefined) {
      this.#setState('disconnected', this.#unitSilence);
    } else {
      this.#setState(this.#busState, this.#busReason);
    }
  }

  #setState(state: ConnectionState, reason?: string): void {
    if (state === this.#state || this.#stopped) return;
    this.#state = state;
    try {
      this.#events.onConnectionState(state, reason);
    } catch (error) {
      this.#log.error({ err: error }, 'connection-state handler of %s threw', this.#options.device);
    }
  }
}
