/**
 * The buses of one gateway, by line: every device on the same serial port (or the same serial server
 * address) gets the same ModbusBus, so the line carries one transaction at a time. Owned by the
 * gateway (handed to device plugins through their context), never module state. A bus stops when its
 * last device releases it (on shutdown or when a reload removes the devices).
 *
 * What one device on a line sets for the whole line (serial settings, inter-frame delay, late-reply
 * guard, reconnect backoff) must agree between the devices: the `settings` text says all of it, and a
 * device asking for other settings is refused, naming the device already on the line. What belongs to
 * each device (its logger, its timeout) is kept per device in the line's LineUsers.
 */
import type { ModbusBus } from './bus.ts';
import type { BusLease } from './device-driver.ts';
import { type LineUser, LineUsers } from './line-users.ts';

interface Entry {
  readonly bus: ModbusBus;
  /** "19200 8E1, inter-frame 2.01 ms": what every device on the line must agree on. */
  readonly settings: string;
  readonly users: LineUsers;
}

export class ModbusBusRegistry {
  readonly #entries = new Map<string, Entry>();

  /**
   * The bus for `key` ("serial:/dev/ttyUSB0"), created on first use by `create` with the line's users.
   * Throws naming both devices when `user` asks for other line settings than the devices on the line.
   */
  lease(key: string, settings: string, user: LineUser, create: (users: LineUsers) => ModbusBus): BusLease {
    let entry = this.#entries.get(key);
    if (entry !== undefined && entry.settings !== settings) {
      const owner = entry.users.first?.device ?? 'another device';
      throw new Error(
        `device "${user.device}": ${entry.bus.name} is already used by device "${owner}" with ${entry.settings}, this device asks for ${settings}; every device on one line must use the same line settings`,
      );
    }
    if (entry === undefined) {
      const users = new LineUsers(user.log);
      entry = { bus: create(users), settings, users };
      this.#entries.set(key, entry);
    }
    const leased = entry;
    const leave = leased.users.join(user);
    let released = false;
    return {
      bus: leased.bus,
      release: async () => {
        if (released) return;
        released = true;
        leave();
        if (leased.users.size > 0) return;
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
