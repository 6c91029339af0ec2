/**
 * One architecture's package contents, laid out below `root` as they will be installed (LAYOUT): the
 * application as in a source checkout without its tests, the production node_modules with that
 * architecture's prebuilds only, the verified Node runtime, the command, the unit, the default config,
 * documentation, and lintian's overrides. Modes are normalised (directories and files 0755/0644, only
 * the two programs executable) because the package must not depend on the umask of the build machine.
 */
import { chmod, copyFile, cp, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Architecture } from './architectures.ts';
import { walk } from './control.ts';
import { bundledPackages, copyrightFile } from './copyright.ts';
import { writeDefaultConfig } from './default-config.ts';
import { changelog, gzipForDebian, manPage } from './docs.ts';
import { LAYOUT } from './layout.ts';
import { keepPrebuildsFor, type ShippedPrebuild } from './native-prebuilds.ts';
import { installRuntime } from './node-runtime.ts';
import { STAGED_MARKER_NAME } from './production-modules.ts';
import { run } from './run.ts';
import { packagedUnit } from './unit.ts';

/** Directories of tsconfig.json's "include" that are not part of the application. */
const NOT_APPLICATION = new Set(['test', 'bench']);
/** The launcher; bin/ also has npm's postinstall check, which is for source checkouts. */
const LAUNCHER = 'bin/fieldbridge.mjs';
/** package.json fields that only mean something to npm in a source checkout. */
const CHECKOUT_ONLY_FIELDS = ['scripts', 'devDependencies', 'allowScripts'];
const EXECUTABLES: readonly string[] = [LAYOUT.command, LAYOUT.node];

export interface TreeInputs {
  readonly repo: string;
  readonly root: string;
  readonly arch: Architecture;
  /** The package version (also written into the packaged package.json). */
  readonly version: string;
  readonly nodeVersion: string;
  /** The staged production node_modules (all prebuilds). */
  readonly stagedModules: string;
  readonly cacheDir: string;
  readonly checksumsFile: string;
  readonly maintainer: string;
  readonly epoch: number;
  readonly commit: string | undefined;
}

export interface Tree {
  readonly conffiles: string[];
  readonly prebuilds: ShippedPrebuild[];
}

export async function assembleTree(inputs: TreeInputs): Promise<Tree> {
  const at = (target: string) => join(inputs.root, target);
  const packaging = join(inputs.repo, 'packaging/debian');
  await copyApplication(inputs.repo, at(LAYOUT.app), inputs.version);

  const nodeModules = at(`${LAYOUT.app}/node_modules`);
  await cp(inputs.stagedModules, nodeModules, { recursive: true, verbatimSymlinks: true });
  await rm(join(nodeModules, STAGED_MARKER_NAME));
  const prebuilds = await keepPrebuildsFor(nodeModules, inputs.arch);
  await installRuntime(
    {
      arch: inputs.arch,
      version: inputs.nodeVersion,
      checksumsFile: inputs.checksumsFile,
      cacheDir: inputs.cacheDir,
    },
    at(LAYOUT.runtime),
  );

  await install(join(packaging, 'fieldbridge'), at(LAYOUT.command));
  await write(
    at(LAYOUT.unit),
    packagedUnit(await readFile(join(inputs.repo, 'systemd/fieldbridge.service'), 'utf8')),
  );
  await mkdir(at(`${LAYOUT.etc}/mappings`), { recursive: true });
  const conffiles = await writeDefaultConfig(inputs.repo, at(LAYOUT.etc));
  await install(join(packaging, 'lintian-overrides'), at(LAYOUT.lintianOverrides));
  await writeDocs(inputs, at);
  await normaliseModes(inputs.root);
  return { conffiles, prebuilds };
}

/**
 * The application's source directories: those tsconfig.json has TypeScript check, less the tests and
 * benchmarks. A new source directory is added there anyway, so the package cannot silently miss it.
 */
export async function applicationDirs(repo: string): Promise<string[]> {
  const tsconfig = JSON.parse(await readFile(join(repo, 'tsconfig.json'), 'utf8')) as { include?: string[] };
  const dirs: string[] = [];
  for (const entry of tsconfig.include ?? []) {
    const isDir = await lstat(join(repo, entry)).then(
      (info) => info.isDirectory(),
      () => false,
    );
    if (isDir && !NOT_APPLICATION.has(entry)) dirs.push(entry);
  }
  if (!dirs.includes('gateway')) throw new Error(`${repo}/tsconfig.json: "include" does not name gateway/`);
  return dirs;
}

async function copyApplication(repo: string, dest: string, version: string): Promise<void> {
  for (const dir of await applicationDirs(repo)) {
    await cp(join(repo, dir), join(dest, dir), {
      recursive: true,
      filter: (src) => !src.endsWith('.test.ts'),
    });
  }
  await install(join(repo, LAUNCHER), join(dest, LAUNCHER));
  const manifest = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as Record<string, unknown>;
  for (const field of CHECKOUT_ONLY_FIELDS) delete manifest[field];
  await write(join(dest, 'package.json'), `${JSON.stringify({ ...manifest, version }, null, 2)}\n`);
  await install(join(repo, 'package-lock.json'), join(dest, 'package-lock.json'));
}

async function writeDocs(inputs: TreeInputs, at: (target: string) => string): Promise<void> {
  await install(join(inputs.repo, 'README.md'), at(`${LAYOUT.doc}/README.md`));
  for (const name of (await readdir(join(inputs.repo, 'docs'))).filter((n) => n.endsWith('.md'))) {
    await install(join(inputs.repo, 'docs', name), at(`${LAYOUT.doc}/docs/${name}`));
  }
  const packages = await bundledPackages(at(`${LAYOUT.app}/node_modules`));
  const year = new Date(inputs.epoch * 1000).getUTCFullYear();
  await write(at(`${LAYOUT.doc}/copyright`), copyrightFile(packages, year));
  const entry = {
    version: inputs.version,
    maintainer: inputs.maintainer,
    date: inputs.epoch,
    commit: inputs.commit,
  };
  await write(at(`${LAYOUT.doc}/changelog.gz`), gzipForDebian(changelog(entry)));
  const { stdout: usage } = await run(process.execPath, [join(inputs.repo, 'bin/fieldbridge.mjs'), '--help']);
  await write(at(LAYOUT.manPage), gzipForDebian(manPage(usage, inputs.version, inputs.epoch)));
}

async function normaliseModes(root: string): Promise<void> {
  await chmod(root, 0o755);
  for (const path of await walk(root)) {
    const info = await lstat(path);
    if (info.isSymbolicLink()) continue;
    await chmod(path, info.isDirectory() || EXECUTABLES.includes(path.slice(root.length)) ? 0o755 : 0o644);
  }
}

async function install(source: string, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  await copyFile(source, dest);
}

async function write(dest: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  await writeFile(dest, content);
}
