/**
 * One connection "epoch" of the OPC UA driver (driver.ts): the client, session, certificate manager and
 * groups of one connect, and their teardown in reverse order, each step bounded in time.
 */
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type { ClientSession, OPCUAClient } from 'node-opcua-client';
import type { ErrMessageWatch } from './err-message.ts';

/** Resources of one connection epoch, released in reverse order. */
export interface Epoch {
  client?: OPCUAClient;
  session?: ClientSession;
  certificateManager?: OPCUACertificateManager;
  stops: (() => Promise<void> | void)[];
  /** Set when node-opcua's repair was announced (tags bad, state disconnected) and then failed. */
  broken?: boolean;
  /** ERR messages the server sent on the epoch's connection (err-message.ts). */
  errMessages?: ErrMessageWatch;
  /** The server certificate the client refused in this epoch, for its fingerprint. */
  refusedServerCertificate?: Uint8Array;
}

export async function teardownEpoch(epoch: Epoch, timeoutMs: number): Promise<void> {
  for (const stop of epoch.stops.reverse()) {
    await guarded(() => stop());
  }
  if (epoch.session !== undefined) {
    const session = epoch.session;
    session.removeAllListeners();
    await guarded(() => withTimeout(session.close(true), timeoutMs));
  }
  if (epoch.client !== undefined) {
    const client = epoch.client;
    client.removeAllListeners();
    await guarded(() => withTimeout(client.disconnect(), timeoutMs));
  }
  if (epoch.certificateManager !== undefined) {
    const manager = epoch.certificateManager;
    await guarded(() => manager.dispose());
  }
}

async function guarded(step: () => Promise<void> | void): Promise<void> {
  try {
    await step();
  } catch {
    // Tearing down a broken connection fails in many uninteresting ways; the next epoch starts clean.
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
