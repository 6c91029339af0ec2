#!/usr/bin/env node
// `npm ci` runs this last (package.json "postinstall"). npm checks every package's "engines" against the
// node that runs npm, which is not the Node fieldbridge runs on: `npm ci` installs Node 24 into
// node_modules (the `node` package) and every `npx fieldbridge …` / `npm run …` and the systemd unit use
// that one. On a machine whose own node is older, npm's check printed ~300 lines of false EBADENGINE
// warnings, so .npmrc lowers npm's log level to errors and this script does the check that matters:
// every installed package against the Node in node_modules, and the `npm` requirements against the npm
// that installed. One line when all is well; a warning per package that is not.
// Plain JavaScript that any node can run, and never fails the install: it reports, npm decides nothing.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

main();

function main() {
  const runtime = readJson(join(root, 'node_modules', 'node', 'package.json'))?.version;
  const installed = readJson(join(root, 'node_modules', '.package-lock.json'))?.packages;
  if (runtime === undefined || installed === undefined) {
    warn(
      'node_modules/node (the Node 24 fieldbridge runs on) is not installed: run `npm ci` without --omit=prod',
    );
    return;
  }
  // "npm/11.19.1 node/v20.20.2 linux x64 …": the npm that installs and the node that runs it (this
  // script itself runs on the Node in node_modules, which npm puts first on the PATH).
  const agent = process.env.npm_config_user_agent ?? '';
  const npm = /\bnpm\/(\d+\.\d+\.\d+)/.exec(agent)?.[1];
  const machineNode = /\bnode\/(v\d+\.\d+\.\d+)/.exec(agent)?.[1] ?? process.version;
  const own = readJson(join(root, 'package.json'));
  const packages = [
    ['fieldbridge', own ?? {}],
    ...Object.entries(installed).map(([path, entry]) => [packageName(path), entry]),
  ];
  const problems = [];
  for (const [name, entry] of packages) {
    const engines = enginesOf(entry.engines);
    const id = entry.version === undefined ? name : `${name}@${entry.version}`;
    problems.push(...check(id, 'Node', engines.node, runtime, 'the Node in node_modules'));
    if (npm !== undefined) problems.push(...check(id, 'npm', engines.npm, npm, 'the npm that installed'));
  }
  const machine =
    machineNode === `v${runtime}` ? '' : `; this machine's own node (${machineNode}) only runs npm`;
  const where = `fieldbridge runs on Node ${runtime} from node_modules (npx fieldbridge …, npm run …)${machine}`;
  if (problems.length === 0) {
    console.log(`${where}. All ${packages.length} packages support Node ${runtime}.`);
    return;
  }
  console.log(`${where}.`);
  for (const problem of problems) warn(problem);
}

/** `[problem]` when `range` (from a package's engines) does not admit `version`, else `[]`. */
function check(id, what, range, version, which) {
  if (range === undefined) return [];
  const admitted = satisfies(version, range);
  if (admitted === true) return [];
  if (admitted === undefined)
    return [`${id}: cannot read its ${what} requirement "${range}"; check it by hand`];
  return [`${id} requires ${what} ${range}, but ${which} is ${version}`];
}

/** engines as { node, npm }; the old array form ["node >= 6"] too. */
function enginesOf(engines) {
  if (Array.isArray(engines)) {
    const pick = (name) =>
      engines
        .filter((e) => typeof e === 'string' && e.startsWith(`${name} `))
        .map((e) => e.slice(name.length + 1))[0];
    return { node: pick('node'), npm: pick('npm') };
  }
  if (typeof engines !== 'object' || engines === null) return {};
  const text = (value) => (typeof value === 'string' ? value : undefined);
  return { node: text(engines.node), npm: text(engines.npm) };
}

/** "node_modules/a/node_modules/@s/b" → "@s/b". */
function packageName(path) {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function warn(line) {
  console.error(`fieldbridge: warning: ${line}`);
}

// A node-semver range, as package.json "engines" use it: alternatives joined by "||", each a set of
// comparators (>=, >, <=, <, =, ^, ~, x-ranges such as 24.x, hyphen ranges "1 - 3"). true / false, or
// undefined for syntax this does not know (reported, never guessed).
function satisfies(version, range) {
  const v = parseVersion(version);
  if (v === undefined) return undefined;
  let known = true;
  for (const alternative of range.split('||')) {
    const comparators = comparatorsOf(alternative.trim());
    if (comparators === undefined) {
      known = false;
      continue;
    }
    if (comparators.every(([op, bound]) => compareWith(op, v, bound))) return true;
  }
  return known ? false : undefined;
}

/** [[op, [major, minor, patch]], …] with x-ranges, ^, ~ and hyphens turned into >= / < pairs. */
function comparatorsOf(set) {
  if (set === '' || set === '*' || set === 'x' || set === 'X') return [];
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(set);
  if (hyphen !== null) {
    const low = comparatorsOf(`>=${hyphen[1]}`);
    const high = partial(hyphen[2]);
    if (low === undefined || high === undefined) return undefined;
    return [...low, ...(high.wild === 0 ? [['<=', high.at]] : [['<', bump(high)]])];
  }
  const result = [];
  for (const token of set.replace(/([<>=^~]+)\s+/g, '$1').split(/\s+/)) {
    const m = /^(<=|>=|<|>|=|\^|~)?v?(.+)$/.exec(token);
    const p = m === null ? undefined : partial(m[2]);
    if (m === null || p === undefined) return undefined;
    const op = m[1] ?? '=';
    if (op === '^' || op === '~' || (op === '=' && p.wild > 0)) {
      result.push(['>=', p.at], ['<', op === '=' ? bump(p) : caretOrTildeBound(op, p)]);
    } else if (p.wild > 0 && (op === '>' || op === '<=')) {
      // ">1.x" is ">=2.0.0"; "<=1.x" is "<2.0.0".
      result.push([op === '>' ? '>=' : '<', bump(p)]);
    } else {
      result.push([op, p.at]);
    }
  }
  return result;
}

/** "24", "24.1", "24.x", "24.1.3" → the version with missing parts 0, and how many parts were missing. */
function partial(text) {
  const m = /^(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:[-+].*)?$/.exec(text);
  if (m === null) return undefined;
  const parts = [m[1], m[2], m[3]];
  const firstWild = parts.findIndex((part) => part === undefined || /^[xX*]$/.test(part));
  const wild = firstWild === -1 ? 0 : 3 - firstWild;
  const at = parts.map((part, i) => (firstWild !== -1 && i >= firstWild ? 0 : Number(part)));
  return { at, wild };
}

/** The first version past a partial one: 24 → 25.0.0, 24.1 → 24.2.0. */
function bump({ at, wild }) {
  const i = 2 - wild;
  if (i < 0) return [Number.POSITIVE_INFINITY, 0, 0];
  return at.map((part, j) => (j < i ? part : j === i ? part + 1 : 0));
}

function caretOrTildeBound(op, p) {
  const [major, minor, patch] = p.at;
  if (op === '~') return p.wild >= 2 ? [major + 1, 0, 0] : [major, minor + 1, 0];
  if (major > 0 || p.wild >= 2) return [major + 1, 0, 0];
  if (minor > 0 || p.wild === 1) return [0, minor + 1, 0];
  return [0, 0, patch + 1];
}

function compareWith(op, v, bound) {
  const c = compare(v, bound);
  switch (op) {
    case '>=':
      return c >= 0;
    case '>':
      return c > 0;
    case '<=':
      return c <= 0;
    case '<':
      return c < 0;
    default:
      return c === 0;
  }
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

function parseVersion(text) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])];
}
