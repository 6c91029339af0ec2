/**
 * Turns node-opcua's "server certificate verification failed" into a message an operator can act on:
 * which certificate, where node-opcua saved it, and the exact command that trusts it (issue 5).
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { type CertificateInfo, listCertificates, rejectedDir, trustedDir } from './pki.ts';

const UNTRUSTED = /BadCertificateUntrusted|Certificate verification failed|BadCertificate/i;

/** Returns the operator message, or undefined when the error is not about an untrusted server certificate. */
export async function describeUntrusted(
  error: Error,
  stateDir: string,
  endpoint: string,
  serverCertificate: Uint8Array | readonly Uint8Array[] | undefined,
): Promise<string | undefined> {
  if (!UNTRUSTED.test(error.message)) return undefined;
  const rejected = await listCertificates(rejectedDir(stateDir));
  const der = Array.isArray(serverCertificate) ? serverCertificate[0] : serverCertificate;
  const fingerprint =
    der === undefined
      ? undefined
      : createHash('sha1')
          .update(der as Uint8Array)
          .digest('hex');
  let match: CertificateInfo | undefined = rejected.find((c) => c.fingerprint === fingerprint);
  if (match === undefined) {
    // Fall back to the most recently rejected certificate.
    let newest = 0;
    for (const cert of rejected) {
      const mtime = (await stat(cert.file)).mtimeMs;
      if (mtime >= newest) {
        newest = mtime;
        match = cert;
      }
    }
  }
  const why = `the server certificate of ${endpoint} is not trusted (${error.message})`;
  if (match === undefined) {
    return `${why}; copy the server's certificate into ${trustedDir(stateDir)} or run "fieldbridge opcua trust ${stateDir} <certificate file>"`;
  }
  return `${why}: ${match.subject}, SHA-1 ${match.fingerprint}, saved as ${match.file}. To trust it run "fieldbridge opcua trust ${stateDir} ${match.fingerprint}" (or move that file to ${trustedDir(stateDir)}/); the next connection attempt will use it`;
}
