/**
 * The amd64 package installed for real with dpkg into a throwaway root (an overlay of this Debian
 * machine, throwaway-root.ts): the maintainer scripts run with the real adduser, dpkg-statoverride and
 * deb-systemd-helper; then `fieldbridge validate` and `fieldbridge demo --for 5` run from the installed
 * path on the bundled Node; then remove and purge, with what each keeps.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUT } from '../../packaging/lib/layout.ts';
import { type TestPackages, testPackages } from './test-packages.ts';
import { createThrowawayRoot, type RunResult, type ThrowawayRoot } from './throwaway-root.ts';

const PROBE = fileURLToPath(new URL('./runtime-probe.ts', import.meta.url));
const AS_SERVICE_USER = ['setpriv', '--reuid=fieldbridge', '--regid=fieldbridge', '--init-groups'];
const ENABLED_LINK = '/etc/systemd/system/multi-user.target.wants/fieldbridge.service';
const CREDENTIAL = `${LAYOUT.etc}/credentials/mqtt-password`;

function ok(result: RunResult): string {
  expect(result, `${result.stdout}\n${result.stderr}`).toMatchObject({ code: 0 });
  return result.stdout;
}

describe('fieldbridge_<version>_amd64.deb installed with dpkg', () => {
  let packages: TestPackages;
  let root: ThrowawayRoot;
  const existing = async (...paths: string[]) =>
    ok(await root.sh('for p; do [ -e "$p" ] || [ -L "$p" ] && echo "$p"; done; true', paths))
      .split('\n')
      .filter(Boolean);

  beforeAll(async () => {
    packages = await testPackages();
    root = await createThrowawayRoot();
    // man-db's trigger rebuilds the whole manual index on every dpkg run: seconds, and not under test.
    ok(await root.run(['rm', '-f', '/var/lib/man-db/auto-update']));
  }, 600_000);
  afterAll(async () => {
    await root?.dispose();
  });

  it('installs: service user in dialout, config readable by it, credential placeholder, unit enabled', async () => {
    const install = ok(await root.run(['dpkg', '-i', packages.amd64.file], { timeoutMs: 120_000 }));
    expect(install).toContain(`Setting up fieldbridge (${packages.version})`);
    expect(install).toContain('fieldbridge: edit /etc/fieldbridge/gateway.json');

    expect(
      ok(await root.run(['id', '-nG', 'fieldbridge']))
        .trim()
        .split(' '),
    ).toEqual(['fieldbridge', 'dialout']);
    expect(ok(await root.run(['getent', 'passwd', 'fieldbridge']))).toMatch(
      /^fieldbridge:x:\d+:\d+:[^:]*:\/var\/lib\/fieldbridge:\/usr\/sbin\/nologin$/m,
    );
    const modes = ok(
      await root.run([
        'stat',
        '-c',
        '%n %U:%G %a',
        LAYOUT.etc,
        `${LAYOUT.etc}/credentials`,
        CREDENTIAL,
        LAYOUT.state,
      ]),
    );
    expect(modes.trim().split('\n')).toEqual([
      `${LAYOUT.etc} root:fieldbridge 750`,
      `${LAYOUT.etc}/credentials root:root 700`,
      `${CREDENTIAL} root:root 600`,
      `${LAYOUT.state} fieldbridge:fieldbridge 750`,
    ]);
    expect(ok(await root.run(['dpkg-statoverride', '--list', LAYOUT.etc])).trim()).toBe(
      `root fieldbridge 750 ${LAYOUT.etc}`,
    );
    expect(ok(await root.run(['readlink', ENABLED_LINK])).trim()).toMatch(
      /\/systemd\/system\/fieldbridge\.service$/,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format
    const conffiles = ok(await root.run(['dpkg-query', '-W', '-f=${Conffiles}', 'fieldbridge']));
    expect(
      conffiles
        .trim()
        .split('\n')
        .map((line) => line.trim().split(' ')[0]),
    ).toEqual(packages.amd64.conffiles);

    const unit = ok(await root.run(['cat', LAYOUT.unit]));
    expect(unit).toContain(
      `\nExecStart=${LAYOUT.node} --max-semi-space-size=16 ${LAYOUT.app}/bin/fieldbridge.mjs run /etc/fieldbridge/gateway.json\n`,
    );
    expect(unit).not.toContain('/opt/');
    expect(ok(await root.run([LAYOUT.command, '--version'])).trim()).toBe(
      `fieldbridge ${packages.version} (Node.js v${packages.nodeVersion})`,
    );
  }, 180_000);

  it('fieldbridge validate accepts the default config, run as the service user', async () => {
    const validate = ok(
      await root.run([...AS_SERVICE_USER, LAYOUT.command, 'validate', `${LAYOUT.etc}/gateway.json`]),
    );
    expect(validate).toMatch(
      /✔ \/etc\/fieldbridge\/gateway\.json is valid: 2 devices, \d+ tags \(1 mapping file\)/,
    );
  }, 60_000);

  it('fieldbridge demo --for 5 runs from the installed path and delivers messages', async () => {
    const demo = ok(await root.run([LAYOUT.command, 'demo', '--for', '5'], { timeoutMs: 60_000 }));
    expect(demo).toContain('fieldbridge/skid1/tank_level  {"seq":');
    const received = Number(/demo: received (\d+) messages on \d+ topics/.exec(demo)?.[1]);
    // The first poll alone publishes every one of the demo mapping's 26 tags.
    expect(received).toBeGreaterThanOrEqual(26);
  }, 90_000);

  it('the bundled Node loads every production dependency and exactly the shipped prebuilds', async () => {
    const scratch = ok(await root.run(['mktemp', '-d'])).trim();
    const probe = JSON.parse(
      ok(await root.run([LAYOUT.node, PROBE, LAYOUT.app, scratch, '--require-all'])),
    ) as {
      required: string[];
    } & Record<string, unknown>;
    expect(probe).toMatchObject({
      arch: 'x64',
      execPath: LAYOUT.node,
      leveldbValue: 'value written on this architecture',
      serialOpenError: expect.stringMatching(/No such file or directory, cannot open/),
    });
    expect(probe.required).toContain('node-opcua-client');
    expect(probe.nativeModules).toEqual(
      packages.amd64.prebuilds.map((p) => `${LAYOUT.app}/node_modules/${p.file}`).sort(),
    );
  }, 90_000);

  it('dpkg -r removes the code and keeps config, credentials and the queue', async () => {
    ok(await root.sh('printf secret > "$1" && echo queued > "$2/queue-marker"', [CREDENTIAL, LAYOUT.state]));
    ok(await root.run(['dpkg', '-r', 'fieldbridge'], { timeoutMs: 120_000 }));
    expect(await existing(LAYOUT.app, LAYOUT.command, LAYOUT.unit)).toEqual([]);
    expect(ok(await root.run(['cat', CREDENTIAL]))).toBe('secret');
    expect(ok(await root.run(['cat', `${LAYOUT.state}/queue-marker`]))).toBe('queued\n');
    expect(await existing(`${LAYOUT.etc}/gateway.json`, `${LAYOUT.etc}/mappings/demo-plc.json`)).toHaveLength(
      2,
    );
    ok(await root.run(['getent', 'passwd', 'fieldbridge']));
  }, 180_000);

  it('dpkg -P purges config, credentials, queue and unit state; the system user stays', async () => {
    ok(await root.run(['dpkg', '-P', 'fieldbridge'], { timeoutMs: 120_000 }));
    expect(
      await existing(
        LAYOUT.etc,
        LAYOUT.state,
        LAYOUT.cache,
        ENABLED_LINK,
        '/etc/systemd/system/fieldbridge.service',
      ),
    ).toEqual([]);
    expect((await root.run(['dpkg-statoverride', '--list', LAYOUT.etc])).code).toBe(1);
    expect((await root.run(['dpkg-query', '-W', 'fieldbridge'])).code).not.toBe(0);
    ok(await root.run(['getent', 'passwd', 'fieldbridge']));
  }, 180_000);
});
