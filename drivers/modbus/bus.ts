/**
 * A Modbus bus: ONE connection (a serial port, a serial server's TCP socket, or a Modbus TCP socket)
 * shared by the devices (unit ids) on it, ONE transaction at a time, and the schedule that shares the
 * line between them.
 *
 * Schedule: each member (device) has a poll grid (start + phase + k·interval, first poll at start). The member whose slot is the
 * earliest runs next, so when the line is busy the devices take turns instead of one starving the
 * others. A poll may start up to one interval late; slots missed by more than that are skipped, never
 * queued (a queue of overdue polls would only grow), counted in `skippedPolls` and logged once per bus
 * (after a few, so one GC pause does not count): the configured polls do not fit in the line's capacity. Writes run between polls, before any poll.
 *
 * Connection: opened at start and re-opened with jittered backoff forever (gateway/backoff.ts), so an
 * unplugged USB adapter or a rebooted serial server comes back by itself; each bus has its own backoff,
 * so other buses are unaffected. A connection the peer closes right after answering (devices that allow
 * one request per connection, or idle timeouts) is re-opened at once and silently; the next request
 * waits for it. Modbus TCP (`dropOnFailure`) also drops the connection after a timeout or a malformed
 * reply, because a fresh socket cannot deliver the old one's late bytes. A serial line cannot be
 * "reconnected" away from a late reply: the session's quarantine handles that instead.
 */
import type { Logger } from 'pino';
import { Backoff, type BackoffOptions } from '../../gateway/backoff.ts';
import type { ReadFailure } from '../../mappings/modbus/read-plan.ts';
import type { ConnectionState } from '../driver.ts';
import { type ByteLink, errorText, type OpenLink } from './link.ts';
import type { ModbusRequest } from './protocol/pdu.ts';
import { type Exchange, ModbusSession, type SessionOptions } from './session.ts';

export interface BusIo {
  request(unitId: number, request: ModbusRequest, timeoutMs: number): Promise<Exchange>;
  /**
   * After a timeout or malformed reply (`message` says which): what the rest of this poll should report.
   * Modbus TCP drops the connection and returns its 'disconnected' failure; RTU keeps the line (undefined).
   */
  recover(message: string): ReadFailure | undefined;
}

export interface BusMember {
  /** For the overload log line. */
  readonly name: string;
  readonly intervalMs: number;
  /**
   * Where in the interval this member's polls run after the first one, 0 ≤ phaseMs < intervalMs (default
   * 0): the first poll runs at once, the next at start + phaseMs, then every interval. The gateway gives
   * its devices evenly spread phases so their polls (and the messages they make) do not all land at once.
   */
  readonly phaseMs?: number | undefined;
  /** One poll; must not reject. */
  poll(io: BusIo): Promise<void>;
  /** `count` poll slots were skipped because the line was busy. */
  skipped(count: number): void;
}

export interface ModbusBusOptions {
  /** "serial /dev/ttyUSB0", "rtu-over-tcp 10.0.0.5:4001", "127.0.0.1:502 unit 1": for logs. */
  readonly name: string;
  readonly open: OpenLink;
  readonly session: Omit<SessionOptions, 'now'>;
  readonly dropOnFailure: boolean;
  readonly backoff?: BackoffOptions | undefined;
  readonly log: Logger;
  /** Monotonic clock in ms (default performance.now). */
  readonly now?: () => number;
}

export interface ModbusBusStats {
  /** Connections (or port opens) established. */
  readonly connects: number;
  /** Replies that matched no waiting request and were dropped (TCP frames, RTU bytes). */
  readonly staleReplies: number;
  /** Poll slots skipped because the polls did not fit in the line's capacity. */
  readonly skippedPolls: number;
}

/** Skipped slots on a bus before the one-time overload warning. */
const OVERLOAD_REPORT_AFTER = 5;

type StateListener = (state: ConnectionState, reason?: string) => void;

interface Slot {
  readonly member: BusMember;
  due: number;
  /** Until the first poll has run: the phase still to add to its grid. */
  phase: number;
}

interface Job {
  run(io: BusIo): Promise<void>;
}

export class ModbusBus {
  readonly name: string;
  readonly #options: ModbusBusOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #backoff: Backoff;
  readonly #slots: Slot[] = [];
  readonly #jobs: Job[] = [];
  readonly #listeners = new Set<StateListener>();
  readonly #io: BusIo;
  #state: ConnectionState = 'connecting';
  #stateReason: string | undefined;
  #session: ModbusSession | undefined;
  #link: ByteLink | undefined;
  #connecting: Promise<void> | undefined;
  #abortConnect: AbortController | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Set when a connection that had answered was lost: the next failure to reconnect names it. */
  #lostReason: string | undefined;
  #downReason = 'not connected yet';
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #sleepTimer: NodeJS.Timeout | undefined;
  #started = false;
  #stopped = false;
  #connects = 0;
  #staleBefore = 0;
  #skippedPolls = 0;
  #overloadLogged = false;

  constructor(options: ModbusBusOptions) {
    this.name = options.name;
    this.#options = options;
    this.#log = options.log;
    this.#now = options.now ?? (() => performance.now());
    this.#backoff = new Backoff(options.backoff);
    this.#io = {
      request: (unitId, request, timeoutMs) => this.#request(unitId, request, timeoutMs),
      recover: (message) => this.#recover(message),
    };
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get stateReason(): string | undefined {
    return this.#stateReason;
  }

  stats(): ModbusBusStats {
    return {
      connects: this.#connects,
      staleReplies: this.#staleBefore + (this.#session?.staleReplies ?? 0),
      skippedPolls: this.#skippedPolls,
    };
  }

  /** Listens to connection changes; returns the unsubscribe function. */
  onState(listener: StateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#connect();
    this.#loop = this.#run();
  }

  /** Adds a device to the schedule (its first poll is due at once); returns the detach function. */
  attach(member: BusMember): () => void {
    const phase = member.phaseMs ?? 0;
    const slot: Slot = {
      member,
      due: this.#now(),
      phase: phase > 0 && phase < member.intervalMs ? phase : 0,
    };
    this.#slots.push(slot);
    this.#wakeUp();
    return () => {
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1);
    };
  }

  /** Runs `job` alone on the bus, before the next poll (writes). Rejects if the bus stops first. */
  exclusive<T>(job: (io: BusIo) => Promise<T>): Promise<T> {
    if (this.#stopped) return Promise.reject(new Error(`${this.name}: bus stopped`));
    return new Promise<T>((resolve, reject) => {
      this.#jobs.push({
        run: async (io) => {
          if (this.#stopped) reject(new Error(`${this.name}: bus stopped`));
          else await job(io).then(resolve, reject);
        },
      });
      this.#wakeUp();
    });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#abortConnect?.abort();
    const link = this.#link;
    this.#session?.end('bus stopped');
    this.#session = undefined;
    this.#link = undefined;
    this.#wakeUp();
    await Promise.all([this.#loop, this.#connecting, link?.close()]);
    for (const job of this.#jobs.splice(0)) await job.run(this.#io);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const job = this.#jobs.shift();
      if (job !== undefined) {
        await this.#guard(job.run(this.#io));
        continue;
      }
      const slot = this.#earliest();
      if (slot === undefined) {
        await this.#sleep(Number.POSITIVE_INFINITY);
        continue;
      }
      const now = this.#now();
      if (slot.due > now) {
        await this.#sleep(slot.due - now);
        continue;
      }
      const interval = slot.member.intervalMs;
      const missed = Math.floor((now - slot.due) / interval);
      if (missed > 0) {
        slot.due += missed * interval;
        this.#skip(slot.member, missed);
      }
      slot.due += slot.phase > 0 ? slot.phase : interval;
      slot.phase = 0;
      await this.#guard(slot.member.poll(this.#io));
    }
  }

  async #guard(work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (error) {
      this.#log.error({ err: error }, '%s: poll failed unexpectedly', this.name);
    }
  }

  #earliest(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) if (best === undefined || slot.due < best.due) best = slot;
    return best;
  }

  #skip(member: BusMember, count: number): void {
    this.#skippedPolls += count;
    member.skipped(count);
    // One slot lost to a GC pause is noise; a handful means the schedule really does not fit.
    if (this.#overloadLogged || this.#skippedPolls < OVERLOAD_REPORT_AFTER) return;
    this.#overloadLogged = true;
    const demand = this.#slots.map((s) => `${s.member.name} every ${s.member.intervalMs} ms`).join(', ');
    this.#log.warn(
      "%s: the configured polls do not fit in the line's capacity (%s); %d poll slot(s) skipped so far, overdue polls are skipped rather than piled up (see skippedPolls). Lower the poll rates, the timeouts or the number of devices on this line",
      this.name,
      demand,
      this.#skippedPolls,
    );
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      if (Number.isFinite(ms)) this.#sleepTimer = setTimeout(() => this.#wakeUp(), Math.max(1, ms));
    });
  }

  #wakeUp(): void {
    clearTimeout(this.#sleepTimer);
    this.#sleepTimer = undefined;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #request(unitId: number, request: ModbusRequest, timeoutMs: number): Promise<Exchange> {
    const session = await this.#usableSession();
    if (session === undefined) return { ok: false, kind: 'disconnected', detail: this.#downReason };
    const exchange = await session.exchange(unitId, request, timeoutMs);
    // Any reply, an exception included, proves the line works.
    if (exchange.ok) this.#backoff.reset();
    // A device that closes after every answer may close just as the next request goes out. Reads are
    // safe to repeat: try once more on the connection that #lost is already re-opening.
    if (!exchange.ok && exchange.kind === 'disconnected' && session.answered && request.fc <= 4) {
      const fresh = await this.#usableSession();
      if (fresh !== undefined && fresh !== session) {
        const retried = await fresh.exchange(unitId, request, timeoutMs);
        if (retried.ok) this.#backoff.reset();
        return retried;
      }
      return { ok: false, kind: 'disconnected', detail: this.#downReason };
    }
    return exchange;
  }

  async #usableSession(): Promise<ModbusSession | undefined> {
    const current = this.#session;
    if (current !== undefined && !current.ended && this.#link?.open === false) {
      this.#lost(current, `connection closed by ${this.#link.target}`);
    }
    if (this.#session !== undefined && !this.#session.ended) return this.#session;
    if (this.#connecting !== undefined) await this.#connecting;
    const session = this.#session;
    return session !== undefined && !session.ended ? session : undefined;
  }

  #recover(message: string): ReadFailure | undefined {
    if (!this.#options.dropOnFailure) return undefined;
    const reason = `connection dropped after ${message}`;
    const session = this.#session;
    if (session !== undefined) this.#drop(session, reason);
    return { kind: 'disconnected', message: reason };
  }

  #connect(): void {
    this.#reconnectTimer = undefined;
    if (this.#stopped) return;
    const abort = new AbortController();
    this.#abortConnect = abort;
    const session = new ModbusSession({ ...this.#options.session, now: this.#now });
    this.#log.debug('%s: connecting', this.name);
    this.#connecting = this.#options
      .open(
        {
          onData: (chunk) => session.receive(chunk),
          onClose: (reason) => {
            session.end(reason);
            this.#lost(session, reason);
          },
        },
        abort.signal,
      )
      .then(
        (link) => {
          this.#connectDone();
          if (this.#stopped) return link.close();
          session.attach(link);
          this.#session = session;
          this.#link = link;
          this.#connects++;
          this.#lostReason = undefined;
          this.#setState('connected');
          // The peer may have hung up before we got here.
          if (session.ended) this.#lost(session, session.endReason ?? 'closed');
        },
        (error: unknown) => {
          this.#connectDone();
          if (this.#stopped) return;
          const lost = this.#lostReason;
          this.#lostReason = undefined;
          this.#down(
            lost === undefined ? errorText(error) : `${lost}; reconnect failed: ${errorText(error)}`,
          );
          this.#scheduleReconnect();
        },
      );
  }

  #connectDone(): void {
    this.#connecting = undefined;
    this.#abortConnect = undefined;
  }

  /** The peer, the network or the OS ended the connection. */
  #lost(session: ModbusSession, reason: string): void {
    if (this.#session !== session || this.#stopped) return;
    const link = this.#link;
    this.#retire(session);
    session.end(reason);
    void link?.close();
    if (session.answered) {
      // It has answered before: re-open at once and quietly (one-request-per-connection devices, idle
      // timeouts). Only a failed re-open reports the outage, with this reason.
      this.#lostReason = reason;
      this.#log.debug('%s: connection closed after answering (%s); reconnecting at once', this.name, reason);
      this.#connect();
      return;
    }
    this.#down(reason);
    this.#scheduleReconnect();
  }

  /** We end the connection (Modbus TCP after a timeout or a malformed reply) and make a new one. */
  #drop(session: ModbusSession, reason: string): void {
    if (this.#session !== session) return;
    const link = this.#link;
    this.#retire(session);
    session.end(reason);
    void link?.close();
    this.#down(reason);
    this.#scheduleReconnect();
  }

  #retire(session: ModbusSession): void {
    this.#staleBefore += session.staleReplies;
    this.#session = undefined;
    this.#link = undefined;
  }

  #down(reason: string): void {
    this.#downReason = reason;
    this.#setState('disconnected', reason);
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnectTimer !== undefined || this.#connecting !== undefined) return;
    const delay = this.#backoff.next();
    this.#log.debug('%s: reconnecting in %d ms (attempt %d)', this.name, delay, this.#backoff.attempt);
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  #setState(state: ConnectionState, reason?: string): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#stateReason = reason;
    if (state === 'disconnected') this.#log.warn('disconnected from %s: %s', this.name, reason);
    else this.#log.info('%s %s', state, this.name);
    for (const listener of this.#listeners) listener(state, reason);
  }
}
