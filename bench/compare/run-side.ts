/**
 * Runs one workload against one side: configure the farm, start the side's process, wait for its first
 * delivery, warm up, measure a window, stop it, and collect delivery, latency, CPU and RSS figures.
 */
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from './bench-context.ts';
import type { WindowStats } from './measuring-subscriber.ts';
import { type ProcSampler, type ProcSummary, sampleProcess } from './proc-sampler.ts';
import { prepareFieldbridge } from './sides/fieldbridge.ts';
import { prepareNodeRed } from './sides/node-red.ts';
import type { SideProcess } from './sides/process.ts';
import type { SideName, SideSetup } from './sides/side.ts';
import { percentiles } from './stats.ts';
import { offeredMessagesPerSecond, unitsPerMessage, type Workload } from './workload.ts';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const FIRST_DELIVERY_TIMEOUT_MS = 60_000;

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface SideRunResult {
  readonly side: SideName;
  readonly workload: Workload;
  readonly offeredPerSecond: number;
  readonly deliveredPerSecond: number;
  /** Registers/s (block mode) or tags/s (per-tag mode) delivered. */
  readonly unitsPerSecond: number;
  readonly pollLatency: LatencySummary;
  readonly changeLatency: LatencySummary;
  readonly lost: number;
  readonly duplicates: number;
  readonly cpuPercent: number;
  readonly rssMaxMb: number;
  readonly brokerCpuPercent: number;
  readonly harnessCpuPercent: number;
  /** ms from spawn to the first delivered message. */
  readonly firstDeliveryMs: number;
  readonly profile?: string | undefined;
}

/** What a scenario sees while the side runs, for scenarios that act mid-run (S4, S5). */
export interface RunningSide {
  readonly process: SideProcess;
  readonly firstDeliveryAt: number;
  /** Samples of the side's process (RSS over time for S4). */
  readonly sampler: ProcSampler;
}

export interface RunSideOptions {
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Replaces the plain "wait durationMs": returns the measurement window (S5 drives an outage). */
  readonly during?: (running: RunningSide) => Promise<{ from: number; to: number }>;
  /** Keep latency samples of the window (for plots). */
  readonly keepSamples?: boolean;
  readonly label: string;
}

export interface SideRun {
  readonly result: SideRunResult;
  readonly window: WindowStats;
  readonly proc: ProcSummary;
}

export async function runSide(
  ctx: BenchContext,
  side: SideName,
  workload: Workload,
  options: RunSideOptions,
): Promise<SideRun> {
  await ctx.farm.configure(workload);
  const dir = await ctx.tempDir(`${options.label}-${side}`);
  const setup: SideSetup = {
    workload,
    ports: ctx.farm.ports,
    brokerPort: ctx.broker.port,
    mqttVersion: ctx.options.mqttVersion,
    dir,
    cpuProfile: ctx.options.profile && side === 'fieldbridge',
    inflight: ctx.options.inflight,
  };
  const prepared = side === 'fieldbridge' ? await prepareFieldbridge(setup) : await prepareNodeRed(setup);
  ctx.subscriber.reset(workload.mode, (gen) => ctx.farm.changeTimeOf(gen));
  const proc = prepared.spawn();
  const sampler = sampleProcess(proc.pid);
  const brokerPid = ctx.brokerPid();
  const brokerSampler = brokerPid === undefined ? undefined : sampleProcess(brokerPid);
  const harnessSampler = sampleProcess(process.pid);
  let window: WindowStats;
  let from: number;
  let to: number;
  let firstDeliveryAt: number;
  try {
    firstDeliveryAt = await ctx.subscriber.waitForFirst(FIRST_DELIVERY_TIMEOUT_MS).catch(async (error) => {
      throw new Error(`${side}: ${(error as Error).message}; its log:\n${await tail(proc.logFile)}`);
    });
    if (options.during !== undefined) {
      ({ from, to } = await options.during({ process: proc, firstDeliveryAt, sampler }));
    } else {
      await sleep(options.warmupMs);
      from = Date.now();
      await sleep(options.durationMs);
      to = Date.now();
    }
    window = ctx.subscriber.window(from, to);
  } finally {
    await proc.stop();
  }
  // Deliveries in flight when the process stopped still count for loss and duplicates.
  await sleep(1000);
  const totals = ctx.subscriber.totals();
  const procSummary = sampler.stop();
  const brokerSummary = brokerSampler?.stop();
  const harnessSummary = harnessSampler.stop();
  const profile = setup.cpuProfile === true ? await keepProfile(dir, options.label) : undefined;
  if (process.env.BENCH_KEEP_LOGS !== undefined) {
    // Experiments only: keep the side's own output (e.g. with BENCH_NODE_ARGS="--trace-gc").
    await mkdir(join(RESULTS_DIR, 'profiles'), { recursive: true });
    await copyFile(proc.logFile, join(RESULTS_DIR, 'profiles', `${options.label}-${side}.log`));
  }
  await rm(dir, { recursive: true, force: true });
  const [pollP50, pollP99, pollMax] = percentiles(window.pollLatencyMs, [50, 99, 100]);
  if (process.env.BENCH_KEEP_LOGS !== undefined) {
    const fine = percentiles(window.pollLatencyMs, [90, 95, 98, 99, 99.5, 99.9, 100]);
    process.stderr.write(`poll→delivery p90/95/98/99/99.5/99.9/max: ${fine.join(' / ')} ms\n`);
  }
  const [changeP50, changeP99, changeMax] = percentiles(window.changeLatencyMs, [50, 99, 100]);
  const result: SideRunResult = {
    side,
    workload,
    offeredPerSecond: offeredMessagesPerSecond(workload),
    deliveredPerSecond: window.messagesPerSecond,
    unitsPerSecond: window.messagesPerSecond * unitsPerMessage(workload),
    pollLatency: { p50: pollP50!, p99: pollP99!, max: pollMax! },
    changeLatency: { p50: changeP50!, p99: changeP99!, max: changeMax! },
    lost: totals.lost,
    duplicates: totals.duplicates,
    cpuPercent: procSummary.cpuPercent(from, to),
    rssMaxMb: procSummary.rssMaxMb(from, to),
    brokerCpuPercent: brokerSummary?.cpuPercent(from, to) ?? Number.NaN,
    harnessCpuPercent: harnessSummary.cpuPercent(from, to),
    firstDeliveryMs: firstDeliveryAt - proc.spawnedAt,
    profile,
  };
  return { result, window, proc: procSummary };
}

async function keepProfile(dir: string, label: string): Promise<string | undefined> {
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) return undefined;
  const target = join(RESULTS_DIR, 'profiles', `${label}-${file}`);
  await mkdir(join(RESULTS_DIR, 'profiles'), { recursive: true });
  await copyFile(join(dir, file), target);
  return target;
}

async function tail(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
