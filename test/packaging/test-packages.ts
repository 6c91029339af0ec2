/**
 * The packages the packaging tests check, built once with the real build (packaging/build.ts) and
 * shared by the test files that run in parallel: the current version for amd64 and arm64, and an amd64
 * package of an earlier version (`<version>~previous`, which dpkg orders before `<version>`) for the
 * upgrade test. gzip -1 instead of xz: the tests need packages, not small ones (lintian in Debian 12
 * does not read zstd members).
 *
 * They are kept under the build cache in a folder named by a hash of every input (the packaging code,
 * the application's directories, the lockfile, the unit, the docs), so a later run with unchanged sources reuses
 * them; a lock directory makes concurrent test files wait for one build instead of each doing its own.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuiltPackage, buildPackages } from '../../packaging/build.ts';
import { applicationDirs } from '../../packaging/lib/package-tree.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CACHE_DIR = process.env.FIELDBRIDGE_PACKAGING_CACHE || join(REPO, 'packaging/.cache');

const INPUTS = [
  'packaging',
  'tsconfig.json',
  'bin/fieldbridge.mjs',
  'systemd/fieldbridge.service',
  'package.json',
  'package-lock.json',
  'README.md',
  'docs',
];
const LOCK_STALE_MS = 10 * 60_000;

export interface TestPackages {
  readonly version: string;
  /** The Node.js version the packages bundle (package.json's `node` dependency). */
  readonly nodeVersion: string;
  readonly previousVersion: string;
  readonly amd64: BuiltPackage;
  readonly arm64: BuiltPackage;
  readonly previousAmd64: BuiltPackage;
}

export async function testPackages(): Promise<TestPackages> {
  const { version, dependencies } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: { node: string };
  };
  const dir = join(CACHE_DIR, 'test-debs', await inputsHash());
  // Not .json: biome lints the checkout, the cache included, and this file needs no formatting.
  const manifest = join(dir, 'MANIFEST');
  for (;;) {
    const done = await readFile(manifest, 'utf8').catch(() => undefined);
    if (done !== undefined) return JSON.parse(done) as TestPackages;
    if (await takeLock(`${dir}.lock`)) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  try {
    await rm(dir, { recursive: true, force: true });
    const common = { repo: REPO, outDir: dir, compression: 'gzip', level: 1, cacheDir: CACHE_DIR } as const;
    const quiet = () => {};
    const [amd64, arm64] = await buildPackages({ ...common, architectures: ['amd64', 'arm64'] }, quiet);
    const previousVersion = `${version}~previous`;
    const [previousAmd64] = await buildPackages(
      { ...common, architectures: ['amd64'], version: previousVersion },
      quiet,
    );
    const packages = {
      version,
      nodeVersion: dependencies.node,
      previousVersion,
      amd64,
      arm64,
      previousAmd64,
    };
    await writeFile(manifest, JSON.stringify(packages));
    await removeOtherBuilds(dir);
    return packages as TestPackages;
  } finally {
    await rm(`${dir}.lock`, { recursive: true, force: true });
  }
}

/** Packages built from earlier sources are ~150 MB each: only the newest set is kept. */
async function removeOtherBuilds(keep: string): Promise<void> {
  const parent = join(keep, '..');
  for (const name of await readdir(parent)) {
    const path = join(parent, name);
    if (path !== keep && !name.endsWith('.lock')) await rm(path, { recursive: true, force: true });
  }
}

async function takeLock(lock: string): Promise<boolean> {
  await mkdir(join(lock, '..'), { recursive: true });
  try {
    await mkdir(lock);
    return true;
  } catch {
    // A lock left by a test process that died is taken over.
    const age =
      Date.now() -
      (await stat(lock).then(
        (s) => s.mtimeMs,
        () => Date.now(),
      ));
    if (age > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
    return false;
  }
}

async function inputsHash(): Promise<string> {
  const hash = createHash('sha256');
  const add = async (path: string): Promise<void> => {
    const info = await stat(path);
    if (info.isDirectory()) {
      for (const name of (await readdir(path)).sort()) {
        if (name === '.cache' || name === 'node_modules') continue;
        await add(join(path, name));
      }
    } else {
      hash
        .update(relative(REPO, path))
        .update('\0')
        .update(await readFile(path))
        .update('\0');
    }
  };
  for (const input of [...INPUTS, ...(await applicationDirs(REPO))]) {
    const path = join(REPO, input);
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      await add(path);
  }
  return hash.digest('hex').slice(0, 16);
}
