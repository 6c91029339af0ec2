/**
 * Prints the hottest functions of a V8 .cpuprofile (from `npm run bench -- <S> --profile`) by self time,
 * with file:line, and the same grouped by file: `node bench/compare/profile-summary.ts <file> [top]`.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}

interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function where(url: string, line: number): string {
  const path = url.startsWith('file://') ? relative(REPO_ROOT, fileURLToPath(url)) : url || '(native)';
  return `${path.replace(/^node_modules\//, 'nm/')}:${line + 1}`;
}

export function summarise(profile: CpuProfile, top: number): string[] {
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'}  ${where(url, lineNumber)}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const file = url === '' ? functionName : where(url, 0).replace(/:1$/, '');
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  return [
    `total ${(total / 1e6).toFixed(1)} s sampled`,
    '-- functions by self time',
    ...rows(byFunction),
    '-- files by self time',
    ...rows(byFile),
    '-- functions by total time (self + callees; project code only)',
    ...rows(inclusive(profile, selfUs)),
  ];
}

/** Time spent in each project function including what it called (recursion counted once). */
function inclusive(profile: CpuProfile, selfUs: ReadonlyMap<number, number>): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const out = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      if (!url.startsWith('file://') || url.includes('/node_modules/')) continue;
      const key = `${functionName || '(anonymous)'}  ${where(url, lineNumber)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.set(key, (out.get(key) ?? 0) + us);
    }
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node bench/compare/profile-summary.ts <file.cpuprofile> [top]\n');
    process.exitCode = 2;
  } else {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    process.stdout.write(`${summarise(profile, Number(process.argv[3] ?? 25)).join('\n')}\n`);
  }
}
