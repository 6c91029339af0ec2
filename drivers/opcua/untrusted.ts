/**
 * Turns node-opcua's "server Certificate verification failed" into a message an operator can act on:
 * which certificate (its SHA-1 fingerprint, always), where node-opcua saved it, and the exact command that
 * trusts it (issue 5).
 *
 * The fingerprint comes from the certificate the server presented (the driver records what its
 * certificate manager refused), never from "the newest file in rejected/": with several devices, or
 * several servers, sharing one state directory that file can belong to another server, or still be
 * half-written by another device's certificate manager (issue 11).
 */
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type { StatusCode } from 'node-opcua-client';
import { type CertificateInfo, listCertificates, rejectedDir, thumbprint, trustedDir } from './pki.ts';

const UNTRUSTED = /BadCertificateUntrusted|Certificate verification failed|BadCertificate/i;

/**
 * Returns the operator message, or undefined when the error is not about an untrusted server certificate.
 * `refused` is the DER certificate (or chain) the client's certificate manager refused in this attempt.
 */
export async function describeUntrusted(
  error: Error,
  stateDir: string,
  endpoint: string,
  refused: Uint8Array | undefined,
): Promise<string | undefined> {
  if (refused === undefined && !UNTRUSTED.test(error.message)) return undefined;
  const why = `the server certificate of ${endpoint} is not trusted (${error.message})`;
  if (refused === undefined) {
    return `${why}; copy the server's certificate into ${trustedDir(stateDir)} or run "fieldbridge opcua trust ${stateDir} <certificate file>"`;
  }
  const fingerprint = thumbprint(refused);
  const trust = `To trust it run "fieldbridge opcua trust ${stateDir} ${fingerprint}"`;
  let saved: CertificateInfo | undefined;
  try {
    saved = (await listCertificates(rejectedDir(stateDir))).find((c) => c.fingerprint === fingerprint);
  } catch {
    // An unreadable rejected/ folder must not hide the fingerprint.
  }
  if (saved === undefined) {
    return `${why}: SHA-1 ${fingerprint}. ${trust}; the next connection attempt will use it`;
  }
  return `${why}: ${saved.subject}, SHA-1 ${fingerprint}, saved as ${saved.file}. ${trust} (or move that file to ${trustedDir(stateDir)}/); the next connection attempt will use it`;
}

/**
 * Remembers the certificate the manager refuses: node-opcua keeps the server's certificate only once it
 * was accepted, and the operator needs the fingerprint of the refused one.
 */
export function recordRefusals(manager: OPCUACertificateManager, onRefused: (der: Buffer) => void): void {
  type Callback = (error: Error | null, status?: StatusCode) => void;
  // Bound before it is replaced below: the wrapper calls the manager's own check.
  const original = manager.checkCertificate.bind(manager);
  const check = (chain: Buffer | Buffer[]): Promise<StatusCode> => original(chain);
  const recorded = async (chain: Buffer | Buffer[]): Promise<StatusCode> => {
    const status = await check(chain);
    const leaf = Array.isArray(chain) ? chain[0] : chain;
    if (!status.isGood() && leaf !== undefined) onRefused(leaf);
    return status;
  };
  function checkCertificate(chain: Buffer | Buffer[]): Promise<StatusCode>;
  function checkCertificate(chain: Buffer | Buffer[], callback: Callback): void;
  function checkCertificate(chain: Buffer | Buffer[], callback?: Callback): Promise<StatusCode> | undefined {
    const result = recorded(chain);
    if (callback === undefined) return result;
    result.then(
      (status) => callback(null, status),
      (error: unknown) => callback(error as Error),
    );
    return undefined;
  }
  manager.checkCertificate = checkCertificate;
}
