/**
 * `npm run bench -- <scenario> [options]` (issue 7): runs fieldbridge and Node-RED one after the other
 * against the same simulator farm and the same Mosquitto, prints a table with the ratio, and writes
 * bench/results/<scenario>.json plus SVG plots. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { openBenchContext } from './bench-context.ts';
import { parseCliOptions, type ScenarioName, USAGE } from './cli-options.ts';
import { RESULTS_DIR } from './run-side.ts';
import { log, type Scenario, type ScenarioRunOutput } from './scenario.ts';
import { S6 } from './scenarios/cold-start.ts';
import { S3 } from './scenarios/latency.ts';
import { S4 } from './scenarios/memory.ts';
import { S5 } from './scenarios/outage.ts';
import { S1, S2 } from './scenarios/throughput.ts';
import { SIDE_NAMES, type SideName } from './sides/side.ts';
import { fmt, type Spread, spread } from './stats.ts';
import { lineChart } from './svg.ts';

const SCENARIOS: Record<ScenarioName, Scenario> = { S1, S2, S3, S4, S5, S6 };

function machine(): Record<string, unknown> {
  const version = (path: string): string | undefined => {
    try {
      return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version;
    } catch {
      return undefined;
    }
  };
  let mosquitto: string | undefined;
  try {
    mosquitto = execFileSync('/usr/sbin/mosquitto', ['-h'], { encoding: 'utf8' }).split('\n')[0];
  } catch (error) {
    // mosquitto -h exits 3 after printing its version line.
    mosquitto = String((error as { stdout?: string }).stdout ?? '').split('\n')[0];
  }
  const peer = new URL('../.peer/node_modules/', import.meta.url);
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model,
    memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
    node: process.version,
    nodeRed: version(new URL('node-red/package.json', peer).pathname),
    contribModbus: version(new URL('node-red-contrib-modbus/package.json', peer).pathname),
    mosquitto,
    note: 'other developers ran tests on this machine at the same time unless stated otherwise',
  };
}

interface MetricRow {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly sides: Partial<Record<SideName, Spread>>;
  /** fieldbridge ÷ Node-RED of the medians. */
  readonly ratio: number;
  readonly target?: string;
  readonly targetMet?: boolean;
}

async function runScenario(scenario: Scenario, ctx: Awaited<ReturnType<typeof openBenchContext>>) {
  const runs = ctx.options.runs ?? scenario.defaultRuns;
  const outputs: ScenarioRunOutput[] = [];
  for (let i = 0; i < runs; i++) {
    log(`${scenario.name} run ${i + 1}/${runs}: ${scenario.title}`);
    outputs.push(await scenario.run(ctx, i));
  }
  const rows: MetricRow[] = scenario.metrics.map((m) => {
    const sides: Partial<Record<SideName, Spread>> = {};
    for (const side of SIDE_NAMES) {
      const values = outputs.map((o) => o.metrics[side]?.[m.key]).filter((v) => v !== undefined);
      if (values.length > 0) sides[side] = spread(values);
    }
    const fb = sides.fieldbridge?.median;
    const nr = sides['node-red']?.median;
    const row: MetricRow = {
      key: m.key,
      label: m.label,
      unit: m.unit,
      sides,
      ratio: fb !== undefined && nr !== undefined && nr !== 0 ? fb / nr : Number.NaN,
      ...(m.target === undefined
        ? {}
        : {
            target: `${m.target.op} ${fmt(m.target.value)}`,
            targetMet:
              fb === undefined
                ? undefined
                : m.target.op === '>='
                  ? fb >= m.target.value
                  : fb <= m.target.value,
          }),
    };
    return row;
  });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const last = outputs.at(-1);
  const charts = last?.charts ?? [];
  for (const { file, chart } of charts) writeFileSync(join(RESULTS_DIR, file), lineChart(chart));
  const result = {
    scenario: scenario.name,
    title: scenario.title,
    date: new Date().toISOString(),
    machine: machine(),
    options: ctx.options,
    runs,
    table: rows,
    runsDetail: outputs.map((o) => ({ metrics: o.metrics, details: o.details })),
    charts: charts.map((c) => c.file),
  };
  writeFileSync(join(RESULTS_DIR, `${scenario.name}.json`), `${JSON.stringify(result, null, 1)}\n`);
  printTable(scenario, rows, runs);
}

function printTable(scenario: Scenario, rows: readonly MetricRow[], runs: number): void {
  const cell = (s: Spread | undefined) =>
    s === undefined ? '–' : runs === 1 ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
  const lines = [
    '',
    `${scenario.title}  [${runs} run(s); median (min–max)]`,
    `| metric | fieldbridge | Node-RED | ratio FB/NR | target |`,
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.label} [${r.unit}] | ${cell(r.sides.fieldbridge)} | ${cell(r.sides['node-red'])} | ${fmt(r.ratio, 2)} | ${r.target === undefined ? '' : `${r.target} ${r.targetMet === true ? '✔' : r.targetMet === false ? '✘' : ''}`} |`,
    ),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

async function main(argv: readonly string[]): Promise<number> {
  let options: ReturnType<typeof parseCliOptions>;
  try {
    options = parseCliOptions(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    if (!(error as Error).message.includes('usage:')) process.stderr.write(USAGE);
    return 2;
  }
  const ctx = await openBenchContext(options);
  try {
    for (const name of options.scenarios) await runScenario(SCENARIOS[name], ctx);
  } finally {
    await ctx.close();
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
