/**
 * The Modbus TCP driver: one connection per device, the whole ReadPlan polled at a fixed rate, one
 * ModbusReading per poll with one BlockResult per block.
 *
 * Connection policy:
 * - A Modbus exception leaves the connection up (the device answered; only that block failed).
 * - A timeout or a malformed reply drops the connection and makes a new one. modbus-serial matches a
 *   reply to its request by transaction id, and ids wrap at 256 on a fresh counter per connection: a
 *   reply that arrives after its request timed out could otherwise be taken for the answer to a later
 *   request, or leave half a frame in the receive buffer that corrupts the next reply. A new socket
 *   cannot receive the old one's bytes.
 * - Lost or refused connections are retried with jittered exponential backoff, forever. The backoff is
 *   reset only by a reply, so a device that accepts TCP but never answers is not hammered.
 * - While not connected, every poll still emits a reading with all blocks failed ('disconnected', with
 *   the reason), so the mapping layer sees the same cadence whether the device is up or not.
 * - onConnectionState fires on changes only: 'connecting' once at start, then 'connected' /
 *   'disconnected'. Retries while disconnected do not repeat 'connecting' (they are logged at debug),
 *   so a device that stays down produces one event and one log line, not one per attempt.
 */
import type { Logger } from 'pino';
import { Backoff, type BackoffOptions } from '../../gateway/backoff.ts';
import type { BlockResult, ModbusReading, ReadFailure, ReadPlan } from '../../mappings/modbus/read-plan.ts';
import type { ConnectionState, Driver, DriverEvents } from '../driver.ts';
import { FixedRateLoop } from './fixed-rate-loop.ts';
import { errorText, type ModbusTcpConnection, openModbusTcpConnection } from './tcp-connection.ts';

export interface ModbusTcpDriverOptions {
  /** Device name, for logs. */
  readonly device: string;
  readonly host: string;
  readonly port: number;
  readonly unitId: number;
  /** Bounds each request and each connect attempt. */
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly plan: ReadPlan;
  readonly log: Logger;
  readonly backoff?: BackoffOptions;
}

export interface ModbusTcpDriverStats {
  /** Readings emitted. */
  readonly polls: number;
  /** Polls that took longer than the poll interval. */
  readonly overruns: number;
  /** Connections established. */
  readonly connects: number;
}

export interface ModbusTcpDriver extends Driver {
  stats(): ModbusTcpDriverStats;
}

export function createModbusTcpDriver(
  options: ModbusTcpDriverOptions,
  events: DriverEvents<ModbusReading>,
): ModbusTcpDriver {
  return new TcpDriver(options, events);
}

class TcpDriver implements ModbusTcpDriver {
  readonly #options: ModbusTcpDriverOptions;
  readonly #events: DriverEvents<ModbusReading>;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #loop: FixedRateLoop;
  readonly #target: string;
  #state: ConnectionState | undefined;
  #connection: ModbusTcpConnection | undefined;
  /** The connect attempt in progress, if any; a poll waits for it rather than report a false outage. */
  #connecting: Promise<void> | undefined;
  #abortConnect: AbortController | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Why we are not connected; shared by the failed results of every poll until the reason changes. */
  #downFailure: ReadFailure = { kind: 'disconnected', message: 'not connected yet' };
  #started = false;
  #stopped = false;
  #polls = 0;
  #connects = 0;

  constructor(options: ModbusTcpDriverOptions, events: DriverEvents<ModbusReading>) {
    this.#options = options;
    this.#events = events;
    this.#log = options.log;
    this.#backoff = new Backoff(options.backoff);
    this.#target = `${options.host}:${options.port} unit ${options.unitId}`;
    this.#loop = new FixedRateLoop({
      intervalMs: options.pollIntervalMs,
      run: () => this.#poll(),
      onError: (error) => this.#log.error({ err: error }, 'poll of %s failed unexpectedly', options.device),
    });
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#setState('connecting');
    this.#connect();
    this.#loop.start();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#abortConnect?.abort();
    const connection = this.#connection;
    this.#connection = undefined;
    // Closing first settles a request in flight at once, so the loop is not held up by a timeout.
    const closed = connection?.close('driver stopped');
    await Promise.all([this.#loop.stop(), this.#connecting, closed]);
  }

  stats(): ModbusTcpDriverStats {
    return { polls: this.#polls, overruns: this.#loop.overruns, connects: this.#connects };
  }

  #connect(): void {
    this.#reconnectTimer = undefined;
    const abort = new AbortController();
    this.#abortConnect = abort;
    const { host, port, unitId, timeoutMs } = this.#options;
    this.#log.debug('connecting to %s', this.#target);
    let opened: ModbusTcpConnection | undefined;
    this.#connecting = openModbusTcpConnection({
      host,
      port,
      unitId,
      timeoutMs,
      signal: abort.signal,
      onLost: (reason) => {
        if (opened !== undefined) this.#lost(opened, reason);
      },
    }).then(
      (connection) => {
        this.#connectAttemptDone();
        if (this.#stopped) return connection.close('driver stopped');
        opened = connection;
        this.#connection = connection;
        this.#connects++;
        this.#setState('connected');
        // The peer may have hung up before we got here, when onLost could not yet tell which connection.
        if (connection.closed) this.#lost(connection, `connection closed by ${host}:${port}`);
      },
      (error: unknown) => {
        this.#connectAttemptDone();
        if (this.#stopped) return;
        this.#down(errorText(error));
        this.#scheduleReconnect();
      },
    );
  }

  /** Cleared before acting on the outcome, so that a failed attempt can schedule the next one. */
  #connectAttemptDone(): void {
    this.#connecting = undefined;
    this.#abortConnect = undefined;
  }

  /** The peer or the network ended the connection. */
  #lost(connection: ModbusTcpConnection, reason: string): void {
    if (this.#connection !== connection || this.#stopped) return;
    this.#connection = undefined;
    this.#down(reason);
    this.#scheduleReconnect();
  }

  /** We end the connection (after a timeout or a malformed reply) and make a new one. */
  #drop(connection: ModbusTcpConnection, reason: string): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    void connection.close(reason);
    this.#down(reason);
    this.#scheduleReconnect();
  }

  #down(reason: string): void {
    this.#downFailure = { kind: 'disconnected', message: reason };
    this.#setState('disconnected', reason);
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnectTimer !== undefined || this.#connecting !== undefined) return;
    const delay = this.#backoff.next();
    this.#log.debug('reconnecting to %s in %d ms (attempt %d)', this.#target, delay, this.#backoff.attempt);
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  async #poll(): Promise<void> {
    const ts = Date.now();
    if (this.#connection === undefined && this.#connecting !== undefined) await this.#connecting;
    if (this.#stopped) return;
    const connection = this.#connection;
    const results =
      connection === undefined ? this.#allFailed(this.#downFailure) : await this.#read(connection);
    if (this.#stopped) return;
    this.#polls++;
    try {
      this.#events.onReading({ ts, results });
    } catch (error) {
      this.#log.error({ err: error }, 'reading handler of %s threw', this.#options.device);
    }
  }

  async #read(connection: ModbusTcpConnection): Promise<BlockResult[]> {
    const blocks = this.#options.plan.blocks;
    const results: BlockResult[] = new Array(blocks.length);
    let skipped: ReadFailure | undefined;
    for (let i = 0; i < blocks.length; i++) {
      if (skipped !== undefined) {
        results[i] = { ok: false, failure: skipped };
        continue;
      }
      const result = await connection.read(blocks[i]!);
      results[i] = result;
      if (result.ok) {
        this.#backoff.reset();
        continue;
      }
      const { kind, message } = result.failure;
      if (kind === 'exception') {
        this.#backoff.reset();
      } else if (kind === 'disconnected') {
        skipped = result.failure;
      } else {
        const reason = `connection dropped after ${message}`;
        skipped = { kind: 'disconnected', message: reason };
        this.#drop(connection, reason);
      }
    }
    return results;
  }

  #allFailed(failure: ReadFailure): BlockResult[] {
    const result: BlockResult = { ok: false, failure };
    return this.#options.plan.blocks.map(() => result);
  }

  #setState(state: ConnectionState, reason?: string): void {
    if (state === this.#state) return;
    this.#state = state;
    if (state === 'disconnected') this.#log.warn('disconnected from %s: %s', this.#target, reason);
    else this.#log.info('%s %s', state, this.#target);
    try {
      this.#events.onConnectionState(state, reason);
    } catch (error) {
      this.#log.error({ err: error }, 'connection-state handler of %s threw', this.#options.device);
    }
  }
}
