/**
 * Checks that need the file system: TLS files the broker connection will read, and secrets. Secrets that
 * cannot be resolved are warnings: `fieldbridge validate` usually runs in a shell during commissioning,
 * where the service's environment and $CREDENTIALS_DIRECTORY do not exist.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { field } from './gateway-checks.ts';
import type { Issue } from './problems.ts';
import { describeFsError } from './read-json.ts';
import { SecretRefSchema } from './schema.ts';
import { resolveSecret } from './secrets.ts';

const TLS_FILES = [
  ['ca', 'TLS CA certificate'],
  ['cert', 'TLS client certificate'],
  ['key', 'TLS client key'],
] as const;

/** Every certificate or key file the config names: the broker's TLS files and OPC UA X.509 user identities. */
interface NamedFile {
  readonly pointer: string;
  readonly what: string;
  readonly path: unknown;
}

function namedFiles(config: unknown): NamedFile[] {
  const tls = field(field(config, 'mqtt'), 'tls');
  const files: NamedFile[] = TLS_FILES.map(([key, what]) => ({
    pointer: `/mqtt/tls/${key}`,
    what,
    path: field(tls, key),
  }));
  const devices = field(config, 'devices');
  if (Array.isArray(devices)) {
    devices.forEach((device: unknown, index) => {
      if (field(device, 'driver') !== 'opcua') return;
      const user = field(device, 'user');
      const name = String(field(device, 'name'));
      files.push(
        {
          pointer: `/devices/${index}/user/certificate`,
          what: `OPC UA user certificate of device "${name}"`,
          path: field(user, 'certificate'),
        },
        {
          pointer: `/devices/${index}/user/privateKey`,
          what: `OPC UA user private key of device "${name}"`,
          path: field(user, 'privateKey'),
        },
      );
    });
  }
  return files;
}

export async function checkTlsFiles(config: unknown, baseDir: string): Promise<Issue[]> {
  const issues = await Promise.all(
    namedFiles(config).map(async ({ pointer, what, path }): Promise<Issue[]> => {
      if (typeof path !== 'string' || path === '') return [];
      const file = resolve(baseDir, path);
      try {
        await readFile(file);
        return [];
      } catch (error) {
        return [{ pointer, message: `cannot read ${what} file ${file}: ${describeFsError(error)}` }];
      }
    }),
  );
  return issues.flat();
}

export function checkSecrets(config: unknown, baseDir: string, env: NodeJS.ProcessEnv): Issue[] {
  const mqtt = field(config, 'mqtt');
  const secrets = [
    { pointer: '/mqtt/password', what: 'MQTT password', ref: field(mqtt, 'password') },
    {
      pointer: '/mqtt/tls/passphrase',
      what: 'TLS key passphrase',
      ref: field(field(mqtt, 'tls'), 'passphrase'),
    },
  ];
  const devices = field(config, 'devices');
  if (Array.isArray(devices)) {
    devices.forEach((device: unknown, index) => {
      if (field(device, 'driver') !== 'opcua') return;
      const name = String(field(device, 'name'));
      secrets.push(
        {
          pointer: `/devices/${index}/user/password`,
          what: `OPC UA password of device "${name}"`,
          ref: field(field(device, 'user'), 'password'),
        },
        {
          pointer: `/devices/${index}/user/passphrase`,
          what: `OPC UA user key passphrase of device "${name}"`,
          ref: field(field(device, 'user'), 'passphrase'),
        },
      );
    });
  }
  const issues: Issue[] = [];
  for (const { pointer, what, ref } of secrets) {
    if (!Value.Check(SecretRefSchema, ref)) continue;
    try {
      resolveSecret('file' in ref ? { file: resolve(baseDir, ref.file) } : ref, what, env);
    } catch (error) {
      issues.push({ pointer, message: `${(error as Error).message}; the gateway needs it when it runs` });
    }
  }
  return issues;
}
