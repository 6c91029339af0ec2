/**
 * `npm run package`: builds fieldbridge_<version>_amd64.deb and fieldbridge_<version>_arm64.deb with
 * dpkg-deb, each with the application, its production node_modules (that architecture's native
 * prebuilds only), its own verified Node.js 24 runtime, the systemd unit, a default config
 * (conffiles) and maintainer scripts. Nothing is built on the target and nothing is downloaded there.
 *
 *   npm run package                                   both architectures, xz, into dist/
 *   npm run package -- --arch arm64 --out /tmp/debs   one architecture, elsewhere
 *   npm run package -- --compression zstd --level 1   fast (the tests' builds)
 *   npm run package -- --version 0.1.1~rc1            another package version (default: package.json's)
 *
 * Downloads (the staged node_modules, the Node tarballs) are cached in packaging/.cache, or
 * $FIELDBRIDGE_PACKAGING_CACHE; the Node tarballs are checked against packaging/node-checksums.json at
 * every build. Layout and maintainer scripts: packaging/README.md.
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ARCHITECTURES, architecture, type DebArch } from './lib/architectures.ts';
import { writeControlArea } from './lib/control.ts';
import type { ShippedPrebuild } from './lib/native-prebuilds.ts';
import { assembleTree } from './lib/package-tree.ts';
import { stagedProductionModules } from './lib/production-modules.ts';
import { run } from './lib/run.ts';

export type Compression = 'xz' | 'gzip' | 'zstd' | 'none';

export interface BuildOptions {
  readonly repo: string;
  readonly architectures: readonly DebArch[];
  /** The Debian version; default package.json's version. */
  readonly version?: string | undefined;
  readonly outDir: string;
  readonly compression: Compression;
  /** Compression level (dpkg-deb -z); default dpkg-deb's. */
  readonly level?: number | undefined;
  readonly cacheDir: string;
}

export interface BuiltPackage {
  readonly arch: DebArch;
  readonly version: string;
  readonly file: string;
  readonly sizeBytes: number;
  readonly installedSizeKiB: number;
  readonly conffiles: readonly string[];
  readonly prebuilds: readonly ShippedPrebuild[];
}

const DEFAULT_MAINTAINER = 'fieldbridge maintainers <maintainers@fieldbridge.invalid>';

interface Manifest {
  readonly version: string;
  /** The `node` dependency's exact version: the runtime the packages bundle. */
  readonly nodeVersion: string;
}

async function readManifest(repo: string): Promise<Manifest> {
  const manifest = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as {
    version?: string;
    dependencies?: Record<string, string>;
  };
  const nodeVersion = manifest.dependencies?.node ?? '';
  if (!/^24\.\d+\.\d+$/.test(nodeVersion)) {
    throw new Error(
      `package.json: dependencies.node must pin an exact Node 24 version (24.x.y), found "${nodeVersion}"`,
    );
  }
  return { version: manifest.version ?? '', nodeVersion };
}

/** The git commit and its time, for the changelog and reproducible timestamps (SOURCE_DATE_EPOCH wins). */
async function sourceDate(repo: string): Promise<{ epoch: number; commit: string | undefined }> {
  const git = (args: string[]) =>
    run('git', ['-C', repo, ...args]).then(
      (r) => r.stdout.trim(),
      () => undefined,
    );
  const commit = await git(['rev-parse', '--short=12', 'HEAD']);
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  const fromGit = Number(await git(['log', '-1', '--format=%ct']));
  const epoch = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fromGit || Math.floor(Date.now() / 1000);
  return { epoch, commit };
}

export async function buildPackages(
  options: BuildOptions,
  log: (line: string) => void = (line) => console.log(line),
): Promise<BuiltPackage[]> {
  const manifest = await readManifest(options.repo);
  const version = options.version ?? manifest.version;
  if (!/^[0-9][A-Za-z0-9.+~]*$/.test(version)) {
    throw new Error(
      `"${version}" is not a valid Debian version for a native package (digits first; A-Z a-z 0-9 . + ~)`,
    );
  }
  const { epoch, commit } = await sourceDate(options.repo);
  const maintainer = process.env.DEB_MAINTAINER || DEFAULT_MAINTAINER;
  log(`package: staging production node_modules (cache ${options.cacheDir})`);
  const stagedModules = await stagedProductionModules(options.repo, options.cacheDir);

  const built: BuiltPackage[] = [];
  for (const name of options.architectures) {
    const arch = architecture(name);
    const root = await mkdtemp(join(tmpdir(), `fieldbridge-deb-${arch.deb}-`));
    try {
      const inputs = {
        repo: options.repo,
        root,
        arch,
        version,
        nodeVersion: manifest.nodeVersion,
        stagedModules,
      };
      const tree = await assembleTree({
        ...inputs,
        cacheDir: options.cacheDir,
        checksumsFile: join(options.repo, 'packaging/node-checksums.json'),
        maintainer,
        epoch,
        commit,
      });
      const installedSizeKiB = await writeControlArea({
        root,
        fields: { version, arch, maintainer },
        conffiles: tree.conffiles,
        scriptsDir: join(options.repo, 'packaging/debian'),
      });
      const file = join(options.outDir, `fieldbridge_${version}_${arch.deb}.deb`);
      await dpkgDeb(root, file, options, epoch);
      const sizeBytes = (await stat(file)).size;
      built.push({ arch: arch.deb, version, file, sizeBytes, installedSizeKiB, ...tree });
      log(`package: ${file}: ${mb(sizeBytes)} (installed ${mb(installedSizeKiB * 1024)})`);
      for (const prebuild of tree.prebuilds) log(`package:   ${prebuild.module}: ${prebuild.file}`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  return built;
}

async function dpkgDeb(root: string, file: string, options: BuildOptions, epoch: number): Promise<void> {
  await mkdir(options.outDir, { recursive: true });
  const level = options.level === undefined ? [] : [`-z${options.level}`];
  await run('dpkg-deb', ['--root-owner-group', `-Z${options.compression}`, ...level, '--build', root, file], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
  });
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function parseBuildArgs(argv: readonly string[], repo: string): BuildOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      arch: { type: 'string' },
      version: { type: 'string' },
      out: { type: 'string' },
      compression: { type: 'string' },
      level: { type: 'string' },
    },
  });
  const compression = values.compression ?? 'xz';
  if (!['xz', 'gzip', 'zstd', 'none'].includes(compression)) {
    throw new Error(`--compression ${compression}: expected xz, gzip, zstd or none`);
  }
  const level = values.level === undefined ? undefined : Number(values.level);
  if (level !== undefined && !(Number.isInteger(level) && level >= 0 && level <= 22)) {
    throw new Error(`--level ${values.level}: expected an integer compression level`);
  }
  const architectures = (values.arch ?? Object.keys(ARCHITECTURES).join(','))
    .split(',')
    .map((a) => architecture(a).deb);
  return {
    repo,
    architectures,
    version: values.version,
    outDir: resolve(values.out ?? join(repo, 'dist')),
    compression: compression as Compression,
    level,
    cacheDir: resolve(process.env.FIELDBRIDGE_PACKAGING_CACHE || join(repo, 'packaging/.cache')),
  };
}

if (import.meta.main) {
  const repo = fileURLToPath(new URL('..', import.meta.url));
  try {
    await buildPackages(parseBuildArgs(process.argv.slice(2), repo));
  } catch (error) {
    console.error(`package: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
