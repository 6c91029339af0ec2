/**
 * Why a connection attempt failed, in the operator's terms, and the StatusCode its tags carry: the server
 * refused fieldbridge's certificate (server-refused.ts), fieldbridge refused the server's certificate
 * (untrusted.ts), the server refused the user (user-identity.ts), or anything else as node-opcua said it.
 * The server's refusal is checked first: its status codes (BadCertificateUntrusted) would otherwise read
 * as fieldbridge refusing the server.
 */
import type { ServerErrorMessage } from './err-message.ts';
import type { OpcUaUserIdentity } from './options.ts';
import { describeServerRefusal } from './server-refused.ts';
import { BAD_CERTIFICATE_UNTRUSTED, BAD_NOT_CONNECTED } from './status.ts';
import { describeUntrusted } from './untrusted.ts';
import { describeUserRefused } from './user-identity.ts';

export interface ConnectFailureContext {
  readonly error: Error;
  readonly device: string;
  readonly endpoint: string;
  readonly stateDir: string;
  readonly user: OpcUaUserIdentity | undefined;
  /** The last ERR message the server sent during the attempt. */
  readonly errMessage: ServerErrorMessage | undefined;
  /** The server certificate (DER) the client's certificate manager refused during the attempt. */
  readonly refusedServerCertificate: Uint8Array | undefined;
  readonly statusName: (code: number) => string | undefined;
}

export interface ConnectFailure {
  readonly reason: string;
  /** StatusCode for the device's tags. */
  readonly code: number;
}

export async function describeConnectFailure(context: ConnectFailureContext): Promise<ConnectFailure> {
  const { error, endpoint, stateDir } = context;
  const refusal = await describeServerRefusal(context);
  if (refusal !== undefined) return refusal;
  const untrusted = await describeUntrusted(error, stateDir, endpoint, context.refusedServerCertificate);
  if (untrusted !== undefined) return { reason: untrusted, code: BAD_CERTIFICATE_UNTRUSTED };
  const user = describeUserRefused(error, context.device, endpoint, context.user);
  if (user !== undefined) return { reason: user, code: BAD_NOT_CONNECTED };
  // node-opcua numbers its transports ("ClientTCP_transport12: ..."): without the number a repeated
  // failure reads the same each time and is logged once at warn level, then at debug.
  const said = error.message.replace(/ClientTCP_transport\d+: /g, '');
  return { reason: `cannot connect to ${endpoint}: ${said}`, code: BAD_NOT_CONNECTED };
}
