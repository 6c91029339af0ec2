/**
 * Shared test plumbing for the Modbus driver tests: cleanups, a guard against unhandled rejections and
 * uncaught exceptions, and a recorder for a driver's readings, states and log lines.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { ConnectionState, DriverEvents } from '../../../core/driver.ts';
import type { ModbusDriverReading } from '../../../drivers/modbus/device-poller.ts';
import type { BlockResult } from '../../../mappings/modbus/read-plan.ts';

export interface Harness {
  readonly cleanups: (() => Promise<void>)[];
}

/** Installs the hooks in the calling test file; returns where to push cleanups. */
export function useHarness(): Harness {
  const unhandled: unknown[] = [];
  const onUnhandled = (error: unknown) => unhandled.push(error);
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    expect(unhandled).toEqual([]);
  });
  return { cleanups };
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
}

export interface Recorder {
  readonly readings: ModbusDriverReading[];
  readonly states: [ConnectionState, string | undefined][];
  readonly events: DriverEvents<ModbusDriverReading>;
  /** Resolves with the first reading from now on that satisfies `test`. */
  until(test: (reading: ModbusDriverReading) => boolean): Promise<ModbusDriverReading>;
}

export function recorder(): Recorder {
  const readings: ModbusDriverReading[] = [];
  const states: [ConnectionState, string | undefined][] = [];
  const waiters: { test: (r: ModbusDriverReading) => boolean; resolve: (r: ModbusDriverReading) => void }[] =
    [];
  return {
    readings,
    states,
    events: {
      onReading: (reading) => {
        readings.push(reading);
        for (const waiter of waiters.splice(0)) {
          if (waiter.test(reading)) waiter.resolve(reading);
          else waiters.push(waiter);
        }
      },
      onConnectionState: (state, reason) => states.push([state, reason]),
    },
    until: (test) => new Promise((resolve) => waiters.push({ test, resolve })),
  };
}

export function capturingLogger(): { log: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

export const allGood = (reading: { results: readonly BlockResult[] }) => reading.results.every((r) => r.ok);

export function failureOf(result: BlockResult | undefined) {
  if (result === undefined || result.ok)
    throw new Error(`expected a failed block, got ${JSON.stringify(result)}`);
  return result.failure;
}

export function registersOf(result: BlockResult | undefined): number[] {
  if (result === undefined || !result.ok || !('registers' in result)) {
    throw new Error(`expected registers, got ${JSON.stringify(result)}`);
  }
  return Array.from(result.registers);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
