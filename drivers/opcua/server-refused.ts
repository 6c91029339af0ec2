/**
 * The server's side of the certificate handshake (issue 11): a server that does not trust fieldbridge's
 * own certificate refuses the secure channel. open62541 answers with an ERR message BadCertificateUntrusted
 * and no reason (err-message.ts keeps it); node-opcua servers, and others that follow Part 6 6.7.4 to
 * the letter, hide the cause behind BadSecurityChecksFailed. Either way the operator must have
 * `<stateDir>/opcua/pki/own/certs/client_certificate.pem` trusted on the server, and the message says so,
 * with the status code, the certificate's fingerprint and applicationUri (how the server's UI shows it).
 */
import type { ServerErrorMessage } from './err-message.ts';
import { ownCertificateFile, readCertificate } from './pki.ts';

export const BAD_SECURITY_CHECKS_FAILED = 0x80130000;
const BAD_CERTIFICATE_UNTRUSTED = 0x801a0000;

/** node-opcua's text for a refusal it did receive as a response: "... rejected by server: BadX (0x...)". */
const REJECTED_BY_SERVER = /rejected by server: (Bad[A-Za-z]+) \((0x[0-9a-fA-F]{8})\)/;

export interface ServerRefusal {
  readonly reason: string;
  /** The server's StatusCode, unsigned. */
  readonly code: number;
}

export interface ServerRefusalContext {
  readonly error: Error;
  readonly endpoint: string;
  readonly stateDir: string;
  /** The last ERR message the server sent on this connection attempt, if any. */
  readonly errMessage: ServerErrorMessage | undefined;
  /** The StatusCode's name ("BadCertificateUntrusted"), or undefined for an unknown code. */
  readonly statusName: (code: number) => string | undefined;
}

function formatCode(code: number, name: string | undefined): string {
  const hex = `0x${(code >>> 0).toString(16).padStart(8, '0')}`;
  return name === undefined ? hex : `${name} (${hex})`;
}

/** What the server said, or undefined when the failure is not a refusal by the server. */
function serverStatus(
  context: ServerRefusalContext,
): { code: number; name?: string; text: string } | undefined {
  const { errMessage, error } = context;
  if (errMessage !== undefined) {
    return { code: errMessage.code, text: errMessage.reason, name: context.statusName(errMessage.code) };
  }
  const match = REJECTED_BY_SERVER.exec(error.message);
  if (match === null) return undefined;
  return { code: Number.parseInt(match[2] as string, 16) >>> 0, name: match[1] as string, text: '' };
}

function isCertificateRefusal(code: number, name: string | undefined): boolean {
  return (
    code === BAD_SECURITY_CHECKS_FAILED ||
    code === BAD_CERTIFICATE_UNTRUSTED ||
    /^BadCertificate/.test(name ?? '')
  );
}

/** Returns the refusal in the operator's terms, or undefined when the server did not refuse anything. */
export async function describeServerRefusal(
  context: ServerRefusalContext,
): Promise<ServerRefusal | undefined> {
  const status = serverStatus(context);
  if (status === undefined) return undefined;
  const { endpoint, stateDir } = context;
  const code = formatCode(status.code, status.name);
  const said = status.text === '' ? '' : `: "${status.text}"`;
  if (!isCertificateRefusal(status.code, status.name)) {
    return {
      code: status.code,
      reason: `${endpoint} ended the connection with ${code}${said || ' (no reason given)'}`,
    };
  }
  const file = ownCertificateFile(stateDir);
  let identity = '';
  try {
    const own = await readCertificate(file);
    identity = ` (SHA-1 ${own.fingerprint}${own.applicationUri === undefined ? '' : `, applicationUri ${own.applicationUri}`})`;
  } catch {
    // Not created yet, or unreadable: the path alone still says what to hand over.
  }
  const what =
    status.code === BAD_SECURITY_CHECKS_FAILED
      ? `${endpoint} refused the secure channel with ${code}${said}, which usually means it does not trust fieldbridge's certificate yet`
      : `${endpoint} refused fieldbridge's certificate with ${code}${said}`;
  return {
    code: status.code,
    reason: `${what}: have ${file}${identity} trusted on the server (by its administrator, or in its trust list / UI; never the private key); the next connection attempt will use it`,
  };
}
