/**
 * A poll group: one batched Read of every tag of the group per interval (issue 5). A Read still running
 * when the next tick comes is not doubled up (a slow server must not pile up requests); its tick is
 * skipped. A failed Read makes the group's tags bad and is reported to the driver, which decides whether
 * the session is gone.
 */
import type { ClientSession, ReadValueIdOptions } from 'node-opcua-client';
import type { OpcUaItemResult, OpcUaReading } from '../../mappings/opcua/reading.ts';

export interface PollGroupOptions {
  readonly name: string;
  readonly intervalMs: number;
  readonly session: ClientSession;
  /** Resolved items: tag index and what to read. */
  readonly items: readonly { readonly tag: number; readonly read: ReadValueIdOptions }[];
  readonly onReading: (reading: OpcUaReading) => void;
  readonly onFailure: (error: Error) => void;
}

export interface PollGroup {
  /** Paused polls skip their ticks: while node-opcua repairs the session a Read could only fail. */
  pause(paused: boolean): void;
  stop(): void;
}

export function startPollGroup(options: PollGroupOptions): PollGroup {
  const { session, items, onReading, onFailure } = options;
  const nodesToRead = items.map((i) => i.read);
  let busy = false;
  let stopped = false;
  let paused = false;
  const poll = async (): Promise<void> => {
    if (busy || stopped || paused || items.length === 0) return;
    busy = true;
    try {
      const dataValues = await session.read(nodesToRead);
      if (stopped) return;
      const results: OpcUaItemResult[] = items.map((item, i) => {
        const dataValue = dataValues[i];
        return dataValue === undefined
          ? { tag: item.tag, error: `poll group "${options.name}": the server returned too few results` }
          : { tag: item.tag, dataValue };
      });
      onReading({ ts: Date.now(), results });
    } catch (error) {
      if (stopped || paused) return;
      const message = `poll group "${options.name}": read failed: ${(error as Error).message}`;
      onReading({ ts: Date.now(), results: items.map((item) => ({ tag: item.tag, error: message })) });
      onFailure(error as Error);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void poll(), options.intervalMs);
  void poll();
  return {
    pause(value) {
      paused = value;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
