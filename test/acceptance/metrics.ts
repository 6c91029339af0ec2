/**
 * A small reader of the Prometheus text format (/metrics), enough for the acceptance checks: every
 * sample line `name{label="v",…} value`, looked up by name and a subset of labels.
 */

export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Metrics {
  readonly samples: readonly MetricSample[];
  /** The value of the one sample with this name whose labels include `labels`; throws if not exactly one. */
  value(name: string, labels?: Readonly<Record<string, string>>): number;
  /** Every sample with this name whose labels include `labels`. */
  find(name: string, labels?: Readonly<Record<string, string>>): MetricSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Metrics {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`/metrics: not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key as string] = (raw as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  const find = (name: string, labels: Readonly<Record<string, string>> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    find,
    value(name, labels = {}) {
      const found = find(name, labels);
      if (found.length !== 1) {
        throw new Error(
          `/metrics: ${found.length} samples of ${name}${JSON.stringify(labels)}, expected exactly one`,
        );
      }
      return (found[0] as MetricSample).value;
    },
  };
}
