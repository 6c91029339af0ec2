/**
 * Test certificates made with the system `openssl`, for brokers on 127.0.0.1.
 *
 * Call `makeCerts(dir)` once per test file (in `beforeAll`) and share the result: EC keys (prime256v1)
 * keep it to a few hundred milliseconds. A second call with the same directory reuses the files
 * (`certs.json` manifest), so a suite can cache them in a directory of its own.
 *
 * What you get (all PEM files in `dir`; `pem()` reads one):
 * - `ca`: the trusted test CA.
 * - `server`: CN=localhost, SAN DNS:localhost + IP:127.0.0.1, signed by `ca` (the good broker cert).
 * - `wrongHost`: signed by `ca`, but SAN DNS:wrong-host.invalid only (host-name check must fail).
 * - `client`: client certificate (extendedKeyUsage clientAuth) signed by `ca`, for mutual TLS.
 * - `unknownCa` and `unknownCaServer`: a second CA nobody trusts, and a localhost server cert it signed.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertPair {
  /** Path of the certificate (PEM). */
  readonly cert: string;
  /** Path of the unencrypted private key (PEM). */
  readonly key: string;
}

export interface TestCerts {
  readonly dir: string;
  readonly ca: CertPair;
  readonly server: CertPair;
  readonly wrongHost: CertPair;
  readonly client: CertPair;
  readonly unknownCa: CertPair;
  readonly unknownCaServer: CertPair;
}

const DAYS = '2';
const SERVER_EXT =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n';
const CLIENT_EXT =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';

export async function makeCerts(dir: string): Promise<TestCerts> {
  const manifest = join(dir, 'certs.json');
  if (await exists(manifest)) return JSON.parse(await readFile(manifest, 'utf8')) as TestCerts;
  await mkdir(dir, { recursive: true });
  const pair = (name: string): CertPair => ({
    cert: join(dir, `${name}.crt`),
    key: join(dir, `${name}.key`),
  });
  const certs: TestCerts = {
    dir,
    ca: pair('ca'),
    server: pair('server'),
    wrongHost: pair('wrong-host'),
    client: pair('client'),
    unknownCa: pair('unknown-ca'),
    unknownCaServer: pair('unknown-ca-server'),
  };
  await Promise.all([
    selfSignedCa(certs.ca, 'fieldbridge test CA'),
    selfSignedCa(certs.unknownCa, 'fieldbridge UNKNOWN test CA'),
  ]);
  await Promise.all([
    signed(
      dir,
      certs.server,
      certs.ca,
      'localhost',
      `subjectAltName=DNS:localhost,IP:127.0.0.1\n${SERVER_EXT}`,
    ),
    signed(
      dir,
      certs.wrongHost,
      certs.ca,
      'wrong-host.invalid',
      `subjectAltName=DNS:wrong-host.invalid\n${SERVER_EXT}`,
    ),
    signed(dir, certs.client, certs.ca, 'fieldbridge-test-client', CLIENT_EXT),
    signed(
      dir,
      certs.unknownCaServer,
      certs.unknownCa,
      'localhost',
      `subjectAltName=DNS:localhost,IP:127.0.0.1\n${SERVER_EXT}`,
    ),
  ]);
  await writeFile(manifest, JSON.stringify(certs));
  return certs;
}

/** Reads a PEM file (for tests that pass contents instead of paths). */
export function pem(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function selfSignedCa(out: CertPair, cn: string): Promise<void> {
  await openssl([
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    out.key,
    '-out',
    out.cert,
    '-days',
    DAYS,
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

async function signed(
  dir: string,
  out: CertPair,
  ca: CertPair,
  cn: string,
  extensions: string,
): Promise<void> {
  const csr = `${out.cert}.csr`;
  const ext = `${out.cert}.ext`;
  await writeFile(ext, extensions);
  await openssl(['req', '-new', ...EC_KEY, '-keyout', out.key, '-out', csr, '-subj', `/CN=${cn}`]);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      // A random serial per cert: no shared serial file for the parallel signings to race on.
      '-set_serial',
      `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}`,
      '-out',
      out.cert,
      '-days',
      DAYS,
      '-extfile',
      ext,
    ],
    dir,
  );
}

async function openssl(args: string[], cwd?: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(error)}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
