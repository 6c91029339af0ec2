/** Collects what an OPC UA device reports, for tests: the latest sample per tag and connection states. */
import { Writable } from 'node:stream';
import type { ConnectionState } from '../../../core/driver.ts';
import type { TagSample } from '../../../core/sample.ts';
import type { DeviceEvents } from '../../../gateway/devices/device-plugin.ts';
import { createLogger, type Logger } from '../../../gateway/log.ts';

export interface Collector extends DeviceEvents {
  readonly latest: Map<string, TagSample>;
  /** When (Date.now()) the latest sample of each tag arrived: `ts` may be the server's source timestamp. */
  readonly receivedAt: Map<string, number>;
  readonly states: ConnectionState[];
  /** Per reading (onSamples call), the names of the tags in it. */
  readonly readings: string[][];
  readonly logLines: string[];
  readonly log: Logger;
  waitFor(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
}

export function createCollector(): Collector {
  const latest = new Map<string, TagSample>();
  const receivedAt = new Map<string, number>();
  const states: ConnectionState[] = [];
  const readings: string[][] = [];
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(String(chunk));
      callback();
    },
  });
  return {
    latest,
    receivedAt,
    states,
    readings,
    logLines,
    log: createLogger({ level: 'debug', destination: sink }),
    onSamples(samples) {
      readings.push(samples.flatMap((s) => (s === undefined ? [] : [s.tag])));
      for (const sample of samples) {
        if (sample === undefined) continue;
        latest.set(sample.tag, sample);
        receivedAt.set(sample.tag, Date.now());
      }
    },
    onConnectionState(state) {
      states.push(state);
    },
    async waitFor(what, predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for ${what}; latest: ${JSON.stringify([...latest.values()])}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
