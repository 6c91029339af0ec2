/**
 * The unit file: systemd/check-unit.sh (also run by CI) passes `systemd-analyze verify` on the unit as
 * installed into a temp root and keeps the offline security exposure at or below 2.0; a lower bound
 * makes it fail, so the check is real. The settings the gateway relies on stay in the file.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const UNIT = join(REPO, 'systemd/fieldbridge.service');
const CHECK = join(REPO, 'systemd/check-unit.sh');

describe('systemd/fieldbridge.service', () => {
  it('passes systemd-analyze verify and has a security exposure of at most 2.0', async () => {
    const { stdout } = await run('bash', [CHECK]);
    expect(stdout).toContain('check-unit: systemd-analyze verify: ok');
    expect(stdout).toMatch(/check-unit: security exposure 1\.\d \(at most 2\.0\): ok/);
  });

  it('fails the check above the bound', async () => {
    const failure = await run('bash', [CHECK], { env: { ...process.env, MAX_EXPOSURE: '0.5' } }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringMatching(/exposure 1\.\d is above 0\.5/) });
  });

  it('verify fails when the installed Node is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fb-unit-'));
    try {
      await mkdir(join(dir, 'unit'));
      const unit = join(dir, 'unit', 'fieldbridge.service');
      await writeFile(
        unit,
        (await readFile(UNIT, 'utf8')).replaceAll('/opt/fieldbridge', join(dir, 'nowhere')),
      );
      const failure = await run('systemd-analyze', ['verify', unit]).catch(
        (error: { stderr: string }) => error,
      );
      expect(String((failure as { stderr: string }).stderr)).toMatch(/node is not executable/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the settings the gateway relies on', async () => {
    const lines = (await readFile(UNIT, 'utf8')).split('\n');
    for (const line of [
      'Type=notify',
      'NotifyAccess=all',
      'Restart=on-failure',
      'StateDirectory=fieldbridge',
      'ConfigurationDirectory=fieldbridge',
      'DevicePolicy=closed',
      'DeviceAllow=char-ttyUSB rw',
      'DeviceAllow=char-ttyACM rw',
      'DeviceAllow=char-ttyS rw',
      'SupplementaryGroups=dialout',
      'ExecReload=/bin/kill -HUP $MAINPID',
      'LoadCredential=mqtt-password:/etc/fieldbridge/credentials/mqtt-password',
    ]) {
      expect(lines, line).toContain(line);
    }
    expect(lines.filter((l) => /^(MemoryDenyWriteExecute|PrivateDevices)=yes/.test(l))).toEqual([]);
    expect(lines.some((l) => /^WatchdogSec=\d+$/.test(l))).toBe(true);
    expect(lines.some((l) => /^StartLimitBurst=\d+$/.test(l))).toBe(true);
  });
});
