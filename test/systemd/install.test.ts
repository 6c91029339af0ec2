/**
 * systemd/install.sh and uninstall.sh end to end in a temp root (--root: no user, no systemctl, no npm):
 * which files land where, that an existing config survives a reinstall, and that uninstall keeps config
 * and queue unless --purge.
 */
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SYSTEMD = fileURLToPath(new URL('../../systemd/', import.meta.url));

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('systemd/install.sh and uninstall.sh in a temp root', () => {
  const roots: string[] = [];
  afterEach(async () => {
    await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
  });

  async function install(root: string): Promise<string> {
    const { stdout } = await run('bash', [join(SYSTEMD, 'install.sh'), '--root', root, '--no-npm']);
    return stdout;
  }

  it('installs code, unit, sysusers entry, example config, mappings and a credential placeholder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fb-install-'));
    roots.push(root);
    const out = await install(root);
    expect(out).toContain('wrote example config');

    for (const file of [
      'opt/fieldbridge/bin/fieldbridge.mjs',
      'opt/fieldbridge/gateway/cli.ts',
      'opt/fieldbridge/gateway/http/static/status.html',
      'opt/fieldbridge/package-lock.json',
      'etc/systemd/system/fieldbridge.service',
      'usr/lib/sysusers.d/fieldbridge.conf',
      'etc/fieldbridge/mappings/demo-plc.json',
    ]) {
      expect(await exists(join(root, file)), file).toBe(true);
    }
    expect(await exists(join(root, 'opt/fieldbridge/test'))).toBe(false);
    expect(await exists(join(root, 'opt/fieldbridge/.npmrc')), '.npmrc (quiet npm ci)').toBe(true);
    // Every source folder the code is type-checked from is installed (a new one must not be forgotten).
    const tsconfig = JSON.parse(await readFile(join(SYSTEMD, '..', 'tsconfig.json'), 'utf8')) as {
      include: string[];
    };
    for (const folder of tsconfig.include.filter((f) => !['test', 'bench'].includes(f) && !f.includes('.'))) {
      expect(await exists(join(root, 'opt/fieldbridge', folder)), folder).toBe(true);
    }

    const config = JSON.parse(await readFile(join(root, 'etc/fieldbridge/gateway.json'), 'utf8'));
    expect(config.devices.map((d: { mapping: string }) => d.mapping)).toEqual([
      'mappings/demo-plc.json',
      'mappings/demo-plc.json',
    ]);
    expect(config.$schema).toBe('/opt/fieldbridge/gateway/config/gateway.schema.json');

    const credential = await stat(join(root, 'etc/fieldbridge/credentials/mqtt-password'));
    expect(credential.size).toBe(0);
    expect(credential.mode & 0o777).toBe(0o600);
    expect((await stat(join(root, 'etc/fieldbridge/credentials'))).mode & 0o777).toBe(0o700);
    expect(await readFile(join(root, 'usr/lib/sysusers.d/fieldbridge.conf'), 'utf8')).toMatch(
      /^m fieldbridge dialout$/m,
    );
  });

  it('keeps an existing config and credential on reinstall', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fb-install-'));
    roots.push(root);
    await install(root);
    await writeFile(join(root, 'etc/fieldbridge/gateway.json'), '{"edited": true}\n');
    await writeFile(join(root, 'etc/fieldbridge/credentials/mqtt-password'), 's3cret\n');
    const out = await install(root);
    expect(out).toContain('kept existing');
    expect(await readFile(join(root, 'etc/fieldbridge/gateway.json'), 'utf8')).toBe('{"edited": true}\n');
    expect(await readFile(join(root, 'etc/fieldbridge/credentials/mqtt-password'), 'utf8')).toBe('s3cret\n');
  });

  it('uninstall keeps config and queue; --purge removes them', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fb-install-'));
    roots.push(root);
    await install(root);
    const queueFile = join(root, 'var/lib/fieldbridge/queue/CURRENT');
    await run('mkdir', ['-p', join(root, 'var/lib/fieldbridge/queue')]);
    await writeFile(queueFile, 'MANIFEST-000001\n');

    const { stdout } = await run('bash', [join(SYSTEMD, 'uninstall.sh'), '--root', root]);
    expect(stdout).toContain('kept');
    expect(await exists(join(root, 'opt/fieldbridge'))).toBe(false);
    expect(await exists(join(root, 'etc/systemd/system/fieldbridge.service'))).toBe(false);
    expect(await exists(join(root, 'usr/lib/sysusers.d/fieldbridge.conf'))).toBe(false);
    expect(await exists(join(root, 'etc/fieldbridge/gateway.json'))).toBe(true);
    expect(await exists(queueFile)).toBe(true);

    await run('bash', [join(SYSTEMD, 'uninstall.sh'), '--root', root, '--purge']);
    expect(await exists(join(root, 'etc/fieldbridge'))).toBe(false);
    expect(await exists(join(root, 'var/lib/fieldbridge'))).toBe(false);
  });

  it('rejects an unknown option', async () => {
    const failure = await run('bash', [join(SYSTEMD, 'install.sh'), '--bogus']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown option --bogus') });
  });
});
