/** What a benchmark side needs to run a workload, and the one function that launches either side. */
import type { Workload } from '../workload.ts';
import type { SideProcess } from './process.ts';

export const SIDE_NAMES = ['fieldbridge', 'node-red'] as const;
export type SideName = (typeof SIDE_NAMES)[number];

export interface SideSetup {
  readonly workload: Workload;
  /** One simulator port per device, index-aligned with device d0, d1, … */
  readonly ports: readonly number[];
  readonly brokerPort: number;
  readonly mqttVersion: 4 | 5;
  /** A fresh temp dir for this run's files (config, flows, queue, logs). */
  readonly dir: string;
  /** Write a V8 CPU profile (.cpuprofile) into `dir` (fieldbridge only). */
  readonly cpuProfile?: boolean;
  /** fieldbridge's mqtt.inflight; undefined = its default. */
  readonly inflight?: number | undefined;
}

/** Files are written first, so that `spawn` measures only the process start (S6). */
export interface PreparedSide {
  spawn(): SideProcess;
}
