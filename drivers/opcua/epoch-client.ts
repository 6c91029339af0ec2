/**
 * The client of one OPC UA connection epoch (driver.ts): a fresh certificate manager (it re-reads
 * trusted/ and rejected/, so a certificate an operator trusted while we were backing off is honoured at
 * the next attempt without a restart), the node-opcua client with our timeouts and repair strategy, and
 * the connect. Everything it creates is recorded in the epoch, so teardownEpoch releases it on any path.
 */
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type { OPCUAClient } from 'node-opcua-client';
import type { Epoch } from './epoch.ts';
import { watchErrMessages } from './err-message.ts';
import type { OpcUaDriverOptions } from './options.ts';
import { pkiDir } from './pki.ts';
import { formatCode, statusName } from './status.ts';
import { recordRefusals } from './untrusted.ts';

type OpcUa = typeof import('node-opcua-client');

/** The session timeout we ask for: the option, else room for keep-alives of the slowest subscription. */
export function sessionTimeoutOf(options: OpcUaDriverOptions): number {
  return (
    options.sessionTimeoutMs ??
    Math.max(
      10_000,
      options.timeoutMs * 6,
      // Room for keep-alives of the slowest subscription (see subscription-group.ts).
      ...options.groups.map((g) => (g.mode === 'subscription' ? 3 * g.publishingIntervalMs : 0)),
    )
  );
}

/** Creates the epoch's client and connects it; `onLost` hears when the connection closes. */
export async function connectEpochClient(
  opcua: OpcUa,
  CertificateManager: typeof OPCUACertificateManager,
  options: OpcUaDriverOptions,
  epoch: Epoch,
  onLost: (reason: string) => void,
): Promise<OPCUAClient> {
  const certificateManager = new CertificateManager({
    rootFolder: pkiDir(options.stateDir),
    automaticallyAcceptUnknownCertificate: false,
    disableFileWatchers: true,
  });
  epoch.certificateManager = certificateManager;
  recordRefusals(certificateManager, (der) => {
    epoch.refusedServerCertificate = der;
  });
  await certificateManager.initialize();
  const secure = options.securityMode !== 'None';
  const client = opcua.OPCUAClient.create({
    applicationName: 'fieldbridge',
    applicationUri: options.applicationUri,
    clientCertificateManager: certificateManager,
    securityMode: opcua.MessageSecurityMode[options.securityMode],
    securityPolicy: secure ? opcua.SecurityPolicy[options.securityPolicy] : opcua.SecurityPolicy.None,
    endpointMustExist: false,
    keepSessionAlive: true,
    // maxRetry > 0 turns on node-opcua's repair of a broken channel (reconnectOnFailure), which can keep
    // the server's subscriptions (session-recovery.ts). It also allows one quick retry of the first
    // connect; longer outages are ours (backoff between epochs).
    connectionStrategy: {
      maxRetry: 1,
      initialDelay: 200,
      maxDelay: Math.min(2000, options.reconnect?.maxMs ?? 2000),
    },
    requestedSessionTimeout: sessionTimeoutOf(options),
    defaultTransactionTimeout: options.timeoutMs,
    transportTimeout: options.timeoutMs,
  });
  epoch.client = client;
  const errMessages = watchErrMessages(client);
  epoch.errMessages = errMessages;
  client.on('close', () => {
    const said = errMessages.last;
    onLost(
      said === undefined
        ? 'connection closed'
        : `connection closed by the server with ${formatCode(said.code, statusName(opcua, said.code))}${said.reason === '' ? '' : `: "${said.reason}"`}`,
    );
  });
  await client.connect(options.endpoint);
  return client;
}
