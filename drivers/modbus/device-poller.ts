/**
 * One device's polls on a bus: executes the ReadPlan for one unit id and emits one reading per poll
 * slot, index-aligned with the plan. Keeps the per-device fault state:
 * - the circuit breaker (circuit-breaker.ts): while open, polls cost no line time and report every
 *   block failed, so the mapping layer keeps its cadence and the tags go bad, then stale;
 * - the split layouts of blocks that answered exception 02 (block-split.ts), reused on later polls;
 *   the tags in unreadable parts are listed in the reading's `unreadable`.
 * After a timeout the rest of the poll is skipped: on a shared line each silent request costs the other
 * devices a full timeout (Modbus TCP drops the connection instead, see bus.ts).
 */
import type { Logger } from 'pino';
import type {
  BlockResult,
  ModbusReading,
  ReadBlock,
  ReadFailure,
  ReadPlan,
} from '../../mappings/modbus/read-plan.ts';
import type { ModbusArea } from '../../mappings/schema.ts';
import type { AddressRange, SplitLayout } from './block-split.ts';
import { assemble, splitBlock } from './block-split.ts';
import type { BusIo, BusMember } from './bus.ts';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.ts';
import { describeBlock, describeModbusException } from './exceptions.ts';
import { interpretReply, readRequest } from './protocol/pdu.ts';

/** A part of a block that answers "illegal data address"; tags overlapping it are bad, the rest good. */
export interface UnreadableRange {
  /** Index of the block in the plan. */
  readonly block: number;
  readonly area: ModbusArea;
  readonly start: number;
  readonly count: number;
  readonly failure: ReadFailure;
}

export interface ModbusDriverReading extends ModbusReading {
  readonly unreadable: readonly UnreadableRange[];
}

/**
 * The unit stopped answering on a line that is up (the circuit breaker opened: `silent` with the reason),
 * or answers again. A connection state of its own: the link being up says nothing about the unit.
 */
export type UnitSilenceListener = (silent: boolean, reason?: string) => void;

export interface DevicePollerOptions {
  /** Device name, for logs. */
  readonly device: string;
  readonly unitId: number;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  /** See BusMember.phaseMs. */
  readonly pollPhaseMs?: number | undefined;
  readonly plan: ReadPlan;
  /** Per block, the tag extents to split along (block-atoms.ts); default: single registers. */
  readonly atoms?: readonly (readonly AddressRange[])[] | undefined;
  readonly breaker?: CircuitBreakerOptions | undefined;
  readonly log: Logger;
  /** Monotonic clock in ms (default performance.now). */
  readonly now?: () => number;
}

export interface DevicePollerStats {
  /** Readings emitted. */
  readonly polls: number;
  /** Poll slots skipped because the line was busy (see ModbusBus). */
  readonly skippedPolls: number;
  /** Times the circuit breaker opened. */
  readonly circuitOpens: number;
  readonly circuitOpen: boolean;
  /** Blocks read in parts because a whole-block read answered exception 02. */
  readonly splitBlocks: number;
}

export class DevicePoller implements BusMember {
  readonly name: string;
  readonly intervalMs: number;
  readonly phaseMs: number | undefined;
  readonly #options: DevicePollerOptions;
  readonly #onReading: (reading: ModbusDriverReading) => void;
  readonly #onUnitSilence: UnitSilenceListener | undefined;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #breaker: CircuitBreaker;
  readonly #layouts: (SplitLayout | undefined)[];
  #lastSilence = '';
  #polling: Promise<void> | undefined;
  /** No new poll starts once stopping; the one in progress still completes and is reported. */
  #stopping = false;
  #stopped = false;
  #polls = 0;
  #skipped = 0;

  constructor(
    options: DevicePollerOptions,
    onReading: (reading: ModbusDriverReading) => void,
    onUnitSilence?: UnitSilenceListener,
  ) {
    this.name = `${options.device} (unit ${options.unitId})`;
    this.intervalMs = options.pollIntervalMs;
    this.phaseMs = options.pollPhaseMs;
    this.#options = options;
    this.#onReading = onReading;
    this.#onUnitSilence = onUnitSilence;
    this.#log = options.log;
    this.#now = options.now ?? (() => performance.now());
    this.#breaker = new CircuitBreaker(options.breaker);
    this.#layouts = options.plan.blocks.map(() => undefined);
  }

  stats(): DevicePollerStats {
    return {
      polls: this.#polls,
      skippedPolls: this.#skipped,
      circuitOpens: this.#breaker.opens,
      circuitOpen: this.#breaker.open,
      splitBlocks: this.#layouts.filter((layout) => layout !== undefined).length,
    };
  }

  skipped(count: number): void {
    this.#skipped += count;
  }

  /**
   * Starts no new poll; the poll in progress (if any) finishes and its reading is still emitted — on a
   * graceful shutdown a value the PLC has answered is queued, not thrown away. No reading after this resolves.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#polling;
    this.#stopped = true;
  }

  poll(io: BusIo): Promise<void> {
    const polling = this.#poll(io).finally(() => {
      this.#polling = undefined;
    });
    this.#polling = polling;
    return polling;
  }

  async #poll(io: BusIo): Promise<void> {
    if (this.#stopping) return;
    const ts = Date.now();
    const blocks = this.#options.plan.blocks;
    if (!this.#breaker.allows(this.#now())) {
      const failure: BlockResult = {
        ok: false,
        failure: {
          kind: 'timeout',
          message: `not polled: unit ${this.#options.unitId} stopped answering (${this.#lastSilence}); retried by a periodic probe`,
        },
      };
      this.#emit({ ts, results: blocks.map(() => failure), unreadable: [] });
      return;
    }
    const results: BlockResult[] = new Array(blocks.length);
    const unreadable: UnreadableRange[] = [];
    let skip: ReadFailure | undefined;
    let usedLine = false;
    let answered = false;
    for (let i = 0; i < blocks.length; i++) {
      if (skip !== undefined) {
        results[i] = { ok: false, failure: skip };
        continue;
      }
      const result = await this.#readBlock(io, i, blocks[i]!, unreadable);
      results[i] = result;
      if (result.ok || result.failure.kind === 'exception' || result.failure.kind === 'protocol') {
        usedLine = true;
        answered = true;
      }
      if (result.ok || result.failure.kind === 'exception' || result.failure.kind === 'disconnected')
        continue;
      const { kind, message } = result.failure;
      if (kind === 'timeout') {
        usedLine = true;
        this.#lastSilence = message;
      }
      skip =
        io.recover(message) ??
        (kind === 'timeout'
          ? { kind: 'timeout', message: `not read: ${message} earlier in this poll` }
          : undefined);
    }
    if (usedLine) this.#recordBreaker(answered);
    this.#emit({ ts, results, unreadable });
  }

  async #readBlock(
    io: BusIo,
    index: number,
    block: ReadBlock,
    unreadable: UnreadableRange[],
  ): Promise<BlockResult> {
    const layout = this.#layouts[index];
    if (layout !== undefined) {
      const results: BlockResult[] = [];
      for (const range of layout.readable) {
        const result = await this.#read(io, block.area, range);
        if (!result.ok) {
          // The device changed its map (firmware update?): learn the layout again on the next 02.
          if (result.failure.exception === 2) this.#layouts[index] = undefined;
          return result;
        }
        results.push(result);
      }
      this.#noteUnreadable(index, block, layout, unreadable);
      return assemble(block, layout.readable, results);
    }
    const whole = await this.#read(io, block.area, block);
    if (whole.ok || whole.failure.exception !== 2 || block.count === 1) return whole;
    const atoms = this.#options.atoms?.[index];
    if (atoms !== undefined && atoms.length <= 1) return whole;
    const split = await splitBlock(block, atoms, (range) => this.#read(io, block.area, range));
    if (!split.ok) return { ok: false, failure: split.failure };
    if (split.layout.readable.length === 0) return whole;
    this.#layouts[index] = split.layout;
    this.#log.warn(
      '%s: %s answers %s; read in %d part(s) instead, %d unreadable part(s) reported bad (%s)',
      this.#options.device,
      describeBlock(block),
      describeModbusException(2),
      split.layout.readable.length,
      split.layout.unreadable.length,
      split.layout.unreadable.map((u) => describeBlock({ area: block.area, ...u.range })).join(', '),
    );
    this.#noteUnreadable(index, block, split.layout, unreadable);
    return assemble(block, split.layout.readable, split.results);
  }

  #noteUnreadable(index: number, block: ReadBlock, layout: SplitLayout, out: UnreadableRange[]): void {
    for (const { range, failure } of layout.unreadable) {
      out.push({ block: index, area: block.area, start: range.start, count: range.count, failure });
    }
  }

  async #read(io: BusIo, area: ModbusArea, range: AddressRange): Promise<BlockResult> {
    const block: ReadBlock = { area, start: range.start, count: range.count };
    const request = readRequest(area, range.start, range.count);
    const exchange = await io.request(this.#options.unitId, request, this.#options.timeoutMs);
    if (!exchange.ok) {
      const { kind, detail } = exchange;
      if (kind === 'disconnected') return fail({ kind, message: detail });
      if (kind === 'timeout') return fail({ kind, message: `${detail} reading ${describeBlock(block)}` });
      return fail({ kind, message: `bad reply reading ${describeBlock(block)}: ${detail}` });
    }
    const reply = interpretReply(request, exchange.pdu);
    if (reply.ok) {
      if ('registers' in reply) return { ok: true, registers: reply.registers };
      if ('bits' in reply) return { ok: true, bits: reply.bits };
      return fail({ kind: 'protocol', message: `bad reply reading ${describeBlock(block)}: not read data` });
    }
    if (reply.kind === 'exception') {
      return fail({
        kind: 'exception',
        exception: reply.code,
        message: `${describeModbusException(reply.code)} reading ${describeBlock(block)}`,
      });
    }
    return fail({ kind: 'protocol', message: `bad reply reading ${describeBlock(block)}: ${reply.detail}` });
  }

  #recordBreaker(answered: boolean): void {
    const change = this.#breaker.record(answered, this.#now());
    const { device, unitId } = this.#options;
    if (change === 'opened') {
      this.#log.warn(
        '%s: unit %d stopped answering (%s); polling it only by a periodic probe so it does not take line time from the other devices',
        device,
        unitId,
        this.#lastSilence,
      );
      this.#onUnitSilence?.(
        true,
        `unit ${unitId} does not answer (${this.#lastSilence}); polled only by a periodic probe until it does`,
      );
    } else if (change === 'closed') {
      this.#log.info('%s: unit %d answers again; normal polling resumes', device, unitId);
      this.#onUnitSilence?.(false);
    }
  }

  #emit(reading: ModbusDriverReading): void {
    if (this.#stopped) return;
    this.#polls++;
    try {
      this.#onReading(reading);
    } catch (error) {
      this.#log.error({ err: error }, 'reading handler of %s threw', this.#options.device);
    }
  }
}

function fail(failure: ReadFailure): BlockResult {
  return { ok: false, failure };
}
