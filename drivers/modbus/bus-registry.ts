/**
 * The buses of one gateway, by line: every device on the same serial port (or the same serial server
 * address) gets the same ModbusBus, so the line carries one transaction at a time. Owned by the
 * gateway (handed to device plugins through their context), never module state. A bus stops when its
 * last device releases it (on shutdown or when a reload removes the devices).
 */
import type { ModbusBus } from './bus.ts';
import type { BusLease } from './device-driver.ts';

interface Entry {
  readonly bus: ModbusBus;
  /** "9600 8E1": what every device on the line must agree on. */
  readonly settings: string;
  readonly owner: string;
  users: number;
}

export class ModbusBusRegistry {
  readonly #entries = new Map<string, Entry>();

  /**
   * The bus for `key` ("serial:/dev/ttyUSB0"), created on first use. Throws naming both devices when
   * `device` asks for other line settings than the device that opened the line.
   */
  lease(key: string, settings: string, device: string, create: () => ModbusBus): BusLease {
    let entry = this.#entries.get(key);
    if (entry !== undefined && entry.settings !== settings) {
      throw new Error(
        `device "${device}": ${entry.bus.name} is already used by device "${entry.owner}" with ${entry.settings}, this device asks for ${settings}; every device on one line must use the same line settings`,
      );
    }
    if (entry === undefined) {
      entry = { bus: create(), settings, owner: device, users: 0 };
      this.#entries.set(key, entry);
    }
    const leased = entry;
    leased.users++;
    let released = false;
    return {
      bus: leased.bus,
      release: async () => {
        if (released) return;
        released = true;
        if (--leased.users > 0) return;
        if (this.#entries.get(key) === leased) this.#entries.delete(key);
        await leased.bus.stop();
      },
    };
  }

  /** Lines in use now (for status and tests). */
  get size(): number {
    return this.#entries.size;
  }
}
