/**
 * Native modules in a package's node_modules: classic-level (LevelDB, the queue) and
 * @serialport/bindings-cpp (serial ports) ship prebuilt binaries for many platforms under prebuilds/,
 * and node-gyp-build picks one when the module is loaded. For each architecture the package keeps
 * exactly the file node-gyp-build will pick on a Debian (glibc) system of that architecture, asked from
 * node-gyp-build itself (its own resolver, with the target's arch and libc), and nothing else: no
 * prebuilds for other systems, so no binaries lintian would rightly call foreign. Any other binary found
 * in node_modules fails the build: it would be a native dependency nobody chose a build for.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Architecture } from './architectures.ts';
import { assertElfMachine, elfMachine } from './elf.ts';
import { run } from './run.ts';

export interface ShippedPrebuild {
  /** The npm package, e.g. classic-level. */
  readonly module: string;
  /** The file kept, relative to node_modules, e.g. classic-level/prebuilds/linux-arm64/classic-level.armv8.node */
  readonly file: string;
}

/** Package directories (relative to node_modules) that have a prebuilds/ folder. */
export async function findPrebuildModules(nodeModules: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name === 'prebuilds') found.push(relative(nodeModules, dir));
      else await visit(path);
    }
  };
  await visit(nodeModules);
  return found.sort();
}

/**
 * What node-gyp-build (the copy the module itself requires) loads for `moduleDir` on linux-<arch> with
 * glibc. Run in a child process because node-gyp-build reads the target from the environment when it is
 * first loaded.
 */
export async function resolvePrebuild(moduleDir: string, arch: Architecture): Promise<string> {
  const script = [
    "const { createRequire } = require('node:module');",
    'const dir = process.argv[1];',
    "process.stdout.write(createRequire(dir + '/package.json')('node-gyp-build').resolve(dir));",
  ].join('\n');
  const { stdout } = await run(process.execPath, ['-e', script, moduleDir], {
    env: {
      PATH: process.env.PATH ?? '',
      npm_config_platform: 'linux',
      npm_config_arch: arch.node,
      LIBC: 'glibc',
      // Only prebuilds count: a build/ folder would be a binary for the build machine.
      PREBUILDS_ONLY: '1',
    },
  }).catch((error: Error) => {
    throw new Error(
      `native module ${moduleDir}: no prebuild for linux-${arch.node} (glibc): ${error.message}`,
    );
  });
  return stdout.trim();
}

/** Keeps only the prebuild each native module loads on `arch` and checks every binary left. */
export async function keepPrebuildsFor(nodeModules: string, arch: Architecture): Promise<ShippedPrebuild[]> {
  const shipped: ShippedPrebuild[] = [];
  for (const module of await findPrebuildModules(nodeModules)) {
    const moduleDir = join(nodeModules, module);
    const chosen = await resolvePrebuild(moduleDir, arch);
    const prebuilds = join(moduleDir, 'prebuilds');
    if (!chosen.startsWith(`${prebuilds}/`)) {
      throw new Error(`native module ${module}: node-gyp-build chose ${chosen}, outside ${prebuilds}`);
    }
    await removeAllBut(prebuilds, chosen);
    await assertElfMachine(chosen, arch.elfMachine, `${module}'s prebuild for ${arch.deb}`);
    shipped.push({ module: module.replace(/^.*node_modules\//, ''), file: relative(nodeModules, chosen) });
  }
  await assertNoOtherBinaries(nodeModules, new Set(shipped.map((s) => join(nodeModules, s.file))));
  return shipped;
}

async function removeAllBut(dir: string, keep: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === keep) continue;
    if (entry.isDirectory() && keep.startsWith(`${path}/`)) await removeAllBut(path, keep);
    else await rm(path, { recursive: true, force: true });
  }
}

async function assertNoOtherBinaries(dir: string, allowed: ReadonlySet<string>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await assertNoOtherBinaries(path, allowed);
    } else if (entry.isFile() && !allowed.has(path) && (await stat(path)).size >= 20) {
      if ((await elfMachine(path)) !== undefined || entry.name.endsWith('.node')) {
        throw new Error(
          `${path} is a native binary that no known native module loads: choose its build in packaging/lib/native-prebuilds.ts`,
        );
      }
    }
  }
}
