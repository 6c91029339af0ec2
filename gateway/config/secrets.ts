/**
 * Secrets (MQTT password, TLS key passphrase) never sit in the config: they come from an environment
 * variable, a file, or a systemd credential (LoadCredential=, read from $CREDENTIALS_DIRECTORY). Errors
 * say which secret and where it was looked for, never the value.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeFsError } from './read-json.ts';
import type { SecretRef } from './schema.ts';

/**
 * The secret's value. `what` names its purpose for error messages ("MQTT password"). A relative `file`
 * path is taken as is (the config loader has already made it absolute). Throws an Error naming `what`
 * and the source when the secret cannot be read or is empty.
 */
export function resolveSecret(
  ref: SecretRef,
  what: string,
  env: NodeJS.ProcessEnv = process.env,
  credentialsDir: string | undefined = env.CREDENTIALS_DIRECTORY,
): string {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined) throw new Error(`${what}: environment variable ${ref.env} is not set`);
    if (value === '') throw new Error(`${what}: environment variable ${ref.env} is empty`);
    return value;
  }
  if ('file' in ref) return readSecretFile(ref.file, what, `file ${ref.file}`);
  const name = ref.credential;
  if (name.includes('/') || name === '.' || name === '..') {
    throw new Error(`${what}: "${name}" is not a systemd credential name (no "/" allowed)`);
  }
  if (credentialsDir === undefined || credentialsDir === '') {
    throw new Error(
      `${what}: systemd credential "${name}" is not available: $CREDENTIALS_DIRECTORY is not set ` +
        `(the service unit needs LoadCredential=${name}:<path>)`,
    );
  }
  return readSecretFile(
    join(credentialsDir, name),
    what,
    `systemd credential "${name}" in ${credentialsDir}`,
  );
}

/** "environment variable FB_MQTT_PASSWORD", "file /etc/…", "systemd credential "mqtt-password"". */
export function describeSecretSource(ref: SecretRef): string {
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('file' in ref) return `file ${ref.file}`;
  return `systemd credential "${ref.credential}"`;
}

function readSecretFile(path: string, what: string, source: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${what}: cannot read ${source}: ${describeFsError(error)}`);
  }
  // Files written with `echo` or an editor end in a newline that is not part of the secret.
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new Error(`${what}: ${source} is empty`);
  return value;
}
