/**
 * The devices using one bus right now, each with its own logger and request timeout. A line shared by
 * several devices (RS-485 multi-drop, a serial server) must not speak through the logger of whichever
 * device happened to open it: that device may have been removed by a reload since, and the others would
 * never see their line's events under their own name. So a line event (connected, disconnected, the
 * polls do not fit) is logged by every device on the line, each with its own logger (its `device`
 * field), and a device's own trouble only by that device.
 */
import type { Logger } from 'pino';

export interface LineUser {
  /** Device name (unique per gateway). */
  readonly device: string;
  readonly log: Logger;
  /** The device's request timeout; a serial server's connect timeout is the longest of its devices'. */
  readonly timeoutMs: number;
}

export class LineUsers {
  readonly #fallback: Logger;
  readonly #users = new Map<string, LineUser>();

  /** `fallback` speaks for the line while no device has joined (a bus of its own, e.g. Modbus TCP). */
  constructor(fallback: Logger) {
    this.#fallback = fallback;
  }

  /** Adds a device; returns the function that removes it again. */
  join(user: LineUser): () => void {
    this.#users.set(user.device, user);
    return () => {
      if (this.#users.get(user.device) === user) this.#users.delete(user.device);
    };
  }

  get size(): number {
    return this.#users.size;
  }

  /** The device that has been on the line longest (for messages that name "the device using the line"). */
  get first(): LineUser | undefined {
    return this.#users.values().next().value;
  }

  /** Runs `write` with every device's logger (the fallback logger when none has joined). */
  log(write: (log: Logger) => void): void {
    if (this.#users.size === 0) write(this.#fallback);
    else for (const user of this.#users.values()) write(user.log);
  }

  /** The longest request timeout of the devices on the line, or `fallback` when there are none. */
  longestTimeoutMs(fallback: number): number {
    let longest = 0;
    for (const user of this.#users.values()) longest = Math.max(longest, user.timeoutMs);
    return longest > 0 ? longest : fallback;
  }
}
