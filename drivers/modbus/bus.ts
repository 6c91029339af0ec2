/**
 * A Modbus bus: ONE connection (a serial port, a serial server's TCP socket, or a Modbus TCP socket)
 * shared by the devices (unit ids) on it, ONE transaction at a time, and the schedule that shares the
 * line between them.
 *
 * Schedule (bus-schedule.ts): the member (device) whose poll slot is the earliest runs next, so when the
 * line is busy the devices take turns; overdue slots are skipped, not queued. Writes run between polls,
 * before any poll. Line events are logged by every device on the line (line-users.ts).
 *
 * Connection: opened at start and re-opened with jittered backoff forever (core/backoff.ts), so an
 * unplugged USB adapter or a rebooted serial server comes back by itself; each bus has its own backoff,
 * so other buses are unaffected. A connection the peer closes right after answering (devices that allow
 * one request per connection, or idle timeouts) is re-opened at once and silently; the next request
 * waits for it. Modbus TCP (`dropOnFailure`) also drops the connection after a timeout or a malformed
 * reply, because a fresh socket cannot deliver the old one's late bytes. A serial line cannot be
 * "reconnected" away from a late reply: the session's quarantine handles that instead.
 */
import type { Logger } from 'pino';
import { Backoff, type BackoffOptions } from '../../core/backoff.ts';
import { type Clock, monotonicClock, type TimerHandle } from '../../core/clock.ts';
import type { ConnectionState } from '../../core/driver.ts';
import type { ReadFailure } from '../../mappings/modbus/read-plan.ts';
import { BusSchedule } from './bus-schedule.ts';
import { LineUsers } from './line-users.ts';
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
  /** Logs for the line while no device has joined `users` (a bus of its own: Modbus TCP). */
  readonly log: Logger;
  /** The devices sharing this bus (RTU lines), whose loggers speak for it. Default: none, `log` speaks. */
  readonly users?: LineUsers | undefined;
  /** Monotonic clock in ms (default: the clock's, else performance.now). */
  readonly now?: () => number;
  /** Timers of the schedule and the reconnects, and their time (default Node's, monotonic): tests pass a ManualClock. */
  readonly clock?: Clock | undefined;
}

export interface ModbusBusStats {
  /** Connections (or port opens) established. */
  readonly connects: number;
  /** Replies that matched no waiting request and were dropped (TCP frames, RTU bytes). */
  readonly staleReplies: number;
  /** Poll slots skipped because the polls did not fit in the line's capacity. */
  readonly skippedPolls: number;
}

type StateListener = (state: ConnectionState, reason?: string) => void;

interface Job {
  run(io: BusIo): Promise<void>;
}

export class ModbusBus {
  readonly name: string;
  readonly #options: ModbusBusOptions;
  readonly #users: LineUsers;
  readonly #schedule: BusSchedule;
  readonly #clock: Clock;
  readonly #now: () => number;
  readonly #backoff: Backoff;
  readonly #jobs: Job[] = [];
  readonly #listeners = new Set<StateListener>();
  readonly #io: BusIo;
  #state: ConnectionState = 'connecting';
  #stateReason: string | undefined;
  #session: ModbusSession | undefined;
  #link: ByteLink | undefined;
  #connecting: Promise<void> | undefined;
  #abortConnect: AbortController | undefined;
  #reconnectTimer: TimerHandle | undefined;
  /** Set when a connection that had answered was lost: the next failure to reconnect names it. */
  #lostReason: string | undefined;
  #downReason = 'not connected yet';
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #sleepTimer: TimerHandle | undefined;
  #started = false;
  #stopped = false;
  #connects = 0;
  #staleBefore = 0;

  constructor(options: ModbusBusOptions) {
    this.name = options.name;
    this.#options = options;
    this.#users = options.users ?? new LineUsers(options.log);
    const clock = options.clock ?? monotonicClock;
    this.#clock = clock;
    this.#now = options.now ?? (() => clock.now());
    this.#schedule = new BusSchedule(options.name, this.#now, this.#users);
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
      skippedPolls: this.#schedule.skippedPolls,
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
    const detach = this.#schedule.attach(member);
    this.#wakeUp();
    return detach;
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
    this.#clock.clearTimeout(this.#reconnectTimer);
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
        await this.#guard(job.run(this.#io), 'a write');
        continue;
      }
      const next = this.#schedule.next();
      if ('waitMs' in next) {
        await this.#sleep(next.waitMs);
        continue;
      }
      await this.#guard(next.member.poll(this.#io), next.member.name);
    }
  }

  /** Polls and writes must not reject; if one does anyway, it is a bug to report, not a reason to stop. */
  async #guard(work: Promise<void>, what: string): Promise<void> {
    try {
      await work;
    } catch (error) {
      this.#users.log((log) => log.error({ err: error }, '%s: %s failed unexpectedly', this.name, what));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      if (Number.isFinite(ms))
        this.#sleepTimer = this.#clock.setTimeout(() => this.#wakeUp(), Math.max(1, ms));
    });
  }

  #wakeUp(): void {
    this.#clock.clearTimeout(this.#sleepTimer);
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
    this.#users.log((log) => log.debug('%s: connecting', this.name));
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
      this.#users.log((log) =>
        log.debug('%s: connection closed after answering (%s); reconnecting at once', this.name, reason),
      );
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
    const attempt = this.#backoff.attempt;
    this.#users.log((log) => log.debug('%s: reconnecting in %d ms (attempt %d)', this.name, delay, attempt));
    this.#reconnectTimer = this.#clock.setTimeout(() => this.#connect(), delay);
  }

  #setState(state: ConnectionState, reason?: string): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#stateReason = reason;
    if (state === 'disconnected')
      this.#users.log((log) => log.warn('disconnected from %s: %s', this.name, reason));
    else this.#users.log((log) => log.info('%s %s', state, this.name));
    for (const listener of this.#listeners) listener(state, reason);
  }
}
