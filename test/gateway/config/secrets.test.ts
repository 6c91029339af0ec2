import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveSecret } from '../../../gateway/config/secrets.ts';

const VALUE = 'pa55-w0rd!';

describe('resolveSecret', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-secrets-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads an environment variable', () => {
    expect(resolveSecret({ env: 'FB_MQTT_PASSWORD' }, 'MQTT password', { FB_MQTT_PASSWORD: VALUE })).toBe(
      VALUE,
    );
  });

  it('reads a file and trims the trailing newline only', async () => {
    await writeFile(join(dir, 'unix'), `${VALUE}\n`);
    await writeFile(join(dir, 'windows'), ` ${VALUE}\r\n`);
    expect(resolveSecret({ file: join(dir, 'unix') }, 'MQTT password', {})).toBe(VALUE);
    expect(resolveSecret({ file: join(dir, 'windows') }, 'MQTT password', {})).toBe(` ${VALUE}`);
  });

  it('reads a systemd credential from $CREDENTIALS_DIRECTORY', async () => {
    await writeFile(join(dir, 'mqtt-password'), VALUE);
    const env = { CREDENTIALS_DIRECTORY: dir };
    expect(resolveSecret({ credential: 'mqtt-password' }, 'MQTT password', env)).toBe(VALUE);
    expect(resolveSecret({ credential: 'mqtt-password' }, 'MQTT password', {}, dir)).toBe(VALUE);
  });

  it.each([
    [{ env: 'FB_MQTT_PASSWORD' }, {}, 'MQTT password: environment variable FB_MQTT_PASSWORD is not set'],
    [
      { env: 'FB_MQTT_PASSWORD' },
      { FB_MQTT_PASSWORD: '' },
      'MQTT password: environment variable FB_MQTT_PASSWORD is empty',
    ],
    [
      { file: '/nonexistent/fieldbridge/pw' },
      {},
      'MQTT password: cannot read file /nonexistent/fieldbridge/pw: no such file',
    ],
    [
      { credential: 'mqtt-password' },
      {},
      'MQTT password: systemd credential "mqtt-password" is not available: $CREDENTIALS_DIRECTORY is not set (the service unit needs LoadCredential=mqtt-password:<path>)',
    ],
    [
      { credential: 'mqtt-password' },
      { CREDENTIALS_DIRECTORY: '/nonexistent/creds' },
      'MQTT password: cannot read systemd credential "mqtt-password" in /nonexistent/creds: no such file',
    ],
    [
      { credential: '../etc/shadow' },
      {},
      'MQTT password: "../etc/shadow" is not a systemd credential name (no "/" allowed)',
    ],
  ])('names the secret and its source when %j cannot be resolved', (ref, env, message) => {
    expect(() => resolveSecret(ref, 'MQTT password', env)).toThrow(new Error(message));
  });

  it('never puts the value in an error', async () => {
    await writeFile(join(dir, 'empty'), '\n');
    const messages = [
      () => resolveSecret({ file: join(dir, 'empty') }, 'TLS key passphrase', { OTHER: VALUE }),
      () => resolveSecret({ env: 'MISSING' }, 'TLS key passphrase', { OTHER: VALUE }),
    ].map((attempt) => {
      try {
        attempt();
        return 'no error';
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(messages).toEqual([
      `TLS key passphrase: file ${join(dir, 'empty')} is empty`,
      'TLS key passphrase: environment variable MISSING is not set',
    ]);
    expect(messages.join('\n')).not.toContain(VALUE);
  });
});
