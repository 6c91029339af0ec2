/**
 * The OPC UA client's certificate store in the gateway's state directory (issue 5), never in the home
 * directory: `<stateDir>/opcua/pki/{own,trusted,rejected,issuers}` in node-opcua's layout. A server
 * certificate nobody trusted yet is put in `rejected/` by node-opcua and the connection is refused; an
 * operator trusts it with `fieldbridge opcua trust <stateDir> <fingerprint>` (or by moving the file to
 * `trusted/certs/`). These helpers only use the file system, so the CLI does not load node-opcua.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';

export function pkiDir(stateDir: string): string {
  return join(stateDir, 'opcua', 'pki');
}

/** fieldbridge's own application certificate, where node-opcua's client creates it at the first connect. */
export function ownCertificateFile(stateDir: string): string {
  return join(pkiDir(stateDir), 'own', 'certs', 'client_certificate.pem');
}

export function rejectedDir(stateDir: string): string {
  return join(pkiDir(stateDir), 'rejected');
}

export function trustedDir(stateDir: string): string {
  return join(pkiDir(stateDir), 'trusted', 'certs');
}

export interface CertificateInfo {
  readonly file: string;
  /** SHA-1 of the DER certificate, lower-case hex without colons: the OPC UA "thumbprint". */
  readonly fingerprint: string;
  readonly subject: string;
  readonly validTo: string;
  /** The application URI from the subjectAltName, when present. */
  readonly applicationUri: string | undefined;
}

/** Reads a PEM or DER certificate file. */
export async function readCertificate(file: string): Promise<CertificateInfo> {
  const cert = new X509Certificate(await readFile(file));
  const uri = /URI:([^,\s]+)/.exec(cert.subjectAltName ?? '')?.[1];
  return {
    file,
    fingerprint: cert.fingerprint.replaceAll(':', '').toLowerCase(),
    subject: cert.subject.replaceAll('\n', ', '),
    validTo: cert.validTo,
    applicationUri: uri,
  };
}

/** Certificates in a folder; unreadable files are skipped (node-opcua keeps only certificates there). */
export async function listCertificates(dir: string): Promise<CertificateInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: CertificateInfo[] = [];
  for (const name of names.sort()) {
    if (!/\.(pem|der|crt)$/i.test(name)) continue;
    try {
      out.push(await readCertificate(join(dir, name)));
    } catch {
      // not a certificate: ignore
    }
  }
  return out;
}

/** SHA-1 of a DER certificate, lower-case hex: the OPC UA thumbprint (what `trust` takes). */
export function thumbprint(der: Uint8Array): string {
  return createHash('sha1').update(leafCertificate(der)).digest('hex');
}

/**
 * The first certificate of a DER chain (a server may send its certificate followed by its issuers,
 * concatenated): the length of the outer ASN.1 SEQUENCE says where it ends.
 */
export function leafCertificate(der: Uint8Array): Uint8Array {
  if (der.length < 2 || der[0] !== 0x30) return der;
  const first = der[1] ?? 0;
  if (first < 0x80) return der.subarray(0, 2 + first);
  const lengthBytes = first & 0x7f;
  let length = 0;
  for (let i = 0; i < lengthBytes; i++) length = length * 256 + (der[2 + i] ?? 0);
  const end = 2 + lengthBytes + length;
  return end <= der.length ? der.subarray(0, end) : der;
}

/** Normalises "AB:CD:..." or "abcd..." for comparison. */
export function normaliseFingerprint(text: string): string {
  return text.replaceAll(':', '').trim().toLowerCase();
}

/**
 * Moves a rejected certificate (matched by fingerprint, a unique prefix of at least 8 hex digits, or its
 * file name) to trusted/certs. Returns the trusted certificate, or throws saying what was not found.
 */
export async function trustRejected(stateDir: string, which: string): Promise<CertificateInfo> {
  const rejected = await listCertificates(rejectedDir(stateDir));
  const wanted = normaliseFingerprint(which);
  const matches = rejected.filter(
    (c) =>
      basename(c.file) === which ||
      c.file === which ||
      (wanted.length >= 8 && /^[0-9a-f]+$/.test(wanted) && c.fingerprint.startsWith(wanted)),
  );
  if (matches.length === 0) {
    throw new Error(
      `no rejected certificate matches "${which}" in ${rejectedDir(stateDir)} (${rejected.length} rejected; list them with --list)`,
    );
  }
  if (matches.length > 1) {
    throw new Error(
      `"${which}" matches ${matches.length} rejected certificates; give more of the fingerprint`,
    );
  }
  const [match] = matches as [CertificateInfo];
  const target = join(trustedDir(stateDir), basename(match.file));
  await mkdir(trustedDir(stateDir), { recursive: true });
  await rename(match.file, target);
  return { ...match, file: target };
}
