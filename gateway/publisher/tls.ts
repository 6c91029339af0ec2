/**
 * TLS material for MQTT.js. `rejectUnauthorized` is always true unless insecureSkipVerify is set.
 * ca/cert/key are PEM contents or file paths (options.ts); files are read once, at start, and a missing
 * file is reported with the option name and path.
 */
import { readFile } from 'node:fs/promises';
import type { PublisherTlsOptions } from './options.ts';

export interface MqttTlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
  servername?: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  rejectUnauthorized: boolean;
}

export async function loadTls(tls: PublisherTlsOptions): Promise<MqttTlsOptions> {
  const [ca, cert, key] = await Promise.all([
    pemOrFile(tls.ca, 'mqtt.tls.ca'),
    pemOrFile(tls.cert, 'mqtt.tls.cert'),
    pemOrFile(tls.key, 'mqtt.tls.key'),
  ]);
  if ((cert === undefined) !== (key === undefined)) {
    throw new Error('mqtt.tls: a client certificate needs both "cert" and "key" (only one is set)');
  }
  const out: MqttTlsOptions = {
    minVersion: tls.minVersion ?? 'TLSv1.2',
    rejectUnauthorized: tls.insecureSkipVerify !== true,
  };
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  if (tls.passphrase !== undefined) out.passphrase = tls.passphrase;
  if (tls.servername !== undefined) out.servername = tls.servername;
  return out;
}

async function pemOrFile(value: string | undefined, option: string): Promise<Buffer | undefined> {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return await readFile(value);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(`${option}: cannot read PEM file "${value}" (${code})`);
  }
}
