/** The shape every scenario has: the metrics it reports per side, and one run that measures them. */
import type { BenchContext } from './bench-context.ts';
import type { SideName } from './sides/side.ts';
import type { Chart } from './svg.ts';

export interface MetricDef {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  /** The target for fieldbridge, when it sets one. */
  readonly target?: { readonly op: '>=' | '<='; readonly value: number };
}

export interface ScenarioRunOutput {
  readonly metrics: Partial<Record<SideName, Record<string, number>>>;
  /** Everything measured, written to the results JSON. */
  readonly details: unknown;
  /** Charts of this run; the last run's are written as SVG. */
  readonly charts: readonly { readonly file: string; readonly chart: Chart }[];
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly metrics: readonly MetricDef[];
  readonly defaultRuns: number;
  run(ctx: BenchContext, runIndex: number): Promise<ScenarioRunOutput>;
}

export function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}
