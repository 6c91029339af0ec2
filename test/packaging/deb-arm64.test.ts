/**
 * The arm64 package on this x86-64 machine: unpacked, its Node and its native modules run under
 * qemu-aarch64-static (Debian's qemu-user-static, called explicitly because binfmt_misc may not be
 * registered in a sandbox) with the arm64 glibc and libstdc++ of Debian's cross packages as the
 * library root. That they run at all proves they are arm64 binaries that start; the probe makes
 * LevelDB and the serial binding do real work and reports which native files the process loaded,
 * which must be exactly the ones the build kept.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elfMachine } from '../../packaging/lib/elf.ts';
import { LAYOUT } from '../../packaging/lib/layout.ts';
import { type TestPackages, testPackages } from './test-packages.ts';

const run = promisify(execFile);
const QEMU = 'qemu-aarch64-static';
/** libc6-arm64-cross and libstdc++6-arm64-cross install the arm64 runtime libraries here. */
const ARM64_LIBS = '/usr/aarch64-linux-gnu';
const PROBE = fileURLToPath(new URL('./runtime-probe.ts', import.meta.url));
const EM_AARCH64 = 183;

describe('fieldbridge_<version>_arm64.deb under qemu-aarch64-static', () => {
  let packages: TestPackages;
  let dir: string;
  const at = (target: string) => join(dir, 'root', target);
  const qemu = (args: string[]) =>
    run(QEMU, ['-L', ARM64_LIBS, at(LAYOUT.node), ...args], {
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });

  beforeAll(async () => {
    packages = await testPackages();
    dir = await mkdtemp(join(tmpdir(), 'fb-arm64-'));
    await run('dpkg-deb', ['-x', packages.arm64.file, join(dir, 'root')]);
  }, 600_000);
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('carries an arm64 Node and only arm64 native modules', async () => {
    expect(await elfMachine(at(LAYOUT.node))).toBe(EM_AARCH64);
    const shipped = packages.arm64.prebuilds.map((p) => p.file).sort();
    expect(shipped).toEqual([
      '@serialport/bindings-cpp/prebuilds/linux-arm64/@serialport+bindings-cpp.armv8.glibc.node',
      'classic-level/prebuilds/linux-arm64/classic-level.armv8.node',
    ]);
    for (const file of shipped)
      expect(await elfMachine(at(`${LAYOUT.app}/node_modules/${file}`)), file).toBe(EM_AARCH64);
    for (const module of ['classic-level', '@serialport/bindings-cpp']) {
      const prebuilds = at(`${LAYOUT.app}/node_modules/${module}/prebuilds`);
      expect(await readdir(prebuilds), module).toEqual(['linux-arm64']);
    }
  });

  it('runs Node, LevelDB and the serial binding on arm64, loading exactly the shipped prebuilds', async () => {
    const { stdout } = await qemu([PROBE, at(LAYOUT.app), dir]);
    const probe = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(probe).toMatchObject({
      arch: 'arm64',
      version: `v${packages.nodeVersion}`,
      leveldbValue: 'value written on this architecture',
      serialOpenError: expect.stringMatching(/No such file or directory, cannot open .*no-such-tty/),
    });
    expect(probe.nativeModules).toEqual(
      packages.arm64.prebuilds.map((p) => at(`${LAYOUT.app}/node_modules/${p.file}`)).sort(),
    );
  }, 180_000);

  it('starts the CLI: fieldbridge --version', async () => {
    const { stdout } = await qemu([at(`${LAYOUT.app}/bin/fieldbridge.mjs`), '--version']);
    expect(stdout.trim()).toBe(`fieldbridge ${packages.version} (Node.js v${packages.nodeVersion})`);
  }, 180_000);
});
