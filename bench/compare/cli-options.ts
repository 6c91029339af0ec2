/** Command-line options of `npm run bench -- <scenario> [options]`. */
import { parseArgs } from 'node:util';
import { SIDE_NAMES, type SideName } from './sides/side.ts';

export const SCENARIOS = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface CliOptions {
  readonly scenarios: readonly ScenarioName[];
  readonly sides: readonly SideName[];
  /** Measurement seconds (per step for S1/S2); undefined = the scenario's default. */
  readonly durationSeconds: number | undefined;
  /** S5: seconds the broker stays down; undefined = the scenario's default. */
  readonly outageSeconds: number | undefined;
  /** Short defaults everywhere, for iterating on the harness. */
  readonly quick: boolean;
  /** undefined = the scenario's default. */
  readonly runs: number | undefined;
  readonly maxDevices: number | undefined;
  /** S1/S2: start the load ramp here (iteration on one step). */
  readonly minDevices: number | undefined;
  /** S3: registers/s that 100% stands for; default: fieldbridge's capacity from the last S1 result. */
  readonly capacity: number | undefined;
  readonly mqttVersion: 4 | 5;
  /** Run fieldbridge with --cpu-prof and keep the profiles under bench/results/profiles/. */
  readonly profile: boolean;
  /** fieldbridge's mqtt.inflight; undefined = its default (what users get). */
  readonly inflight: number | undefined;
}

export const USAGE = `usage: npm run bench -- <S1|S2|S3|S4|S5|S6|all> [options]

  --only fieldbridge|node-red   run one side only (default: both, fieldbridge first)
  --duration <s>                measurement seconds (S1/S2: per load step)
  --outage <s>                  S5: seconds the broker is down (default 600, --quick 20)
  --quick                       short defaults for iteration (S4 60 s, S5 20 s outage, fewer steps)
  --runs <n>                    repeat and report median and min–max (default 1; S3/S6 3)
  --max-devices <n>             S1/S2: stop the load ramp here
  --min-devices <n>             S1/S2: start the load ramp here
  --capacity <registers/s>      S3: what 100% of S1 capacity means (default: last S1 result)
  --mqtt 4|5                    MQTT version on both sides (default 5)
  --profile                     fieldbridge with --cpu-prof; profiles kept in bench/results/profiles/
  --inflight <n>                fieldbridge mqtt.inflight (default: its own default), for experiments
`;

export function parseCliOptions(argv: readonly string[]): CliOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      duration: { type: 'string' },
      outage: { type: 'string' },
      quick: { type: 'boolean' },
      runs: { type: 'string' },
      'max-devices': { type: 'string' },
      'min-devices': { type: 'string' },
      capacity: { type: 'string' },
      mqtt: { type: 'string' },
      profile: { type: 'boolean' },
      inflight: { type: 'string' },
    },
  });
  const wanted = positionals.map((p) => p.toUpperCase());
  if (wanted.length === 0) throw new Error(`no scenario given\n${USAGE}`);
  const scenarios = wanted.includes('ALL')
    ? [...SCENARIOS]
    : wanted.map((name) => {
        if (!(SCENARIOS as readonly string[]).includes(name)) {
          throw new Error(`unknown scenario "${name}": expected one of ${SCENARIOS.join(', ')} or all`);
        }
        return name as ScenarioName;
      });
  const only = values.only;
  if (only !== undefined && !(SIDE_NAMES as readonly string[]).includes(only)) {
    throw new Error(`--only must be ${SIDE_NAMES.join(' or ')}, got "${only}"`);
  }
  const mqtt = values.mqtt === undefined ? 5 : Number(values.mqtt);
  if (mqtt !== 4 && mqtt !== 5) throw new Error(`--mqtt must be 4 or 5, got "${values.mqtt}"`);
  return {
    scenarios,
    sides: only === undefined ? [...SIDE_NAMES] : [only as SideName],
    durationSeconds: positiveNumber('--duration', values.duration),
    outageSeconds: positiveNumber('--outage', values.outage),
    quick: values.quick === true,
    runs: positiveNumber('--runs', values.runs),
    maxDevices: positiveNumber('--max-devices', values['max-devices']),
    minDevices: positiveNumber('--min-devices', values['min-devices']),
    capacity: positiveNumber('--capacity', values.capacity),
    mqttVersion: mqtt,
    profile: values.profile === true,
    inflight: positiveNumber('--inflight', values.inflight),
  };
}

function positiveNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${flag} must be a positive number, got "${text}"`);
  return value;
}
