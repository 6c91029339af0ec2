/**
 * The OPC UA driver (issue 5). One connection "epoch" at a time: connect → session → read the server's
 * NamespaceArray → resolve every tag's node id (so `nsu=` ids follow a server that reordered its
 * namespaces, node-opcua #1059) → start subscription and poll groups → wait until something breaks →
 * tear everything down → back off (gateway/backoff.ts, never giving up) → start over. Rebuilding from
 * scratch instead of relying on node-opcua's own reconnection keeps one code path for first connect,
 * server restart, network loss and session timeout, and makes re-resolving namespaces unconditional.
 *
 * node-opcua is imported here only when start() runs, so a gateway without OPC UA devices never loads it.
 * Nothing here throws out of start(): every failure becomes a connection state and bad tags.
 */

import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type { ClientSession, OPCUAClient, ReadValueIdOptions, UserIdentityInfo } from 'node-opcua-client';
import { Backoff } from '../../gateway/backoff.ts';
import { formatNodeId, nodeIdForServer } from '../../mappings/opcua/node-id.ts';
import type { OpcUaItemResult, OpcUaReading } from '../../mappings/opcua/reading.ts';
import type { Driver, DriverEvents } from '../driver.ts';
import { routeNodeOpcuaLog } from './library-log.ts';
import type { OpcUaDriverOptions } from './options.ts';
import { pkiDir } from './pki.ts';
import { startPollGroup } from './poll-group.ts';
import { BAD_CERTIFICATE_UNTRUSTED, BAD_NODE_ID_UNKNOWN, BAD_NOT_CONNECTED } from './status.ts';
import { startSubscriptionGroup } from './subscription-group.ts';
import { describeUntrusted } from './untrusted.ts';

type OpcUa = typeof import('node-opcua-client');

/** Resources of one connection epoch, released in reverse order. */
interface Epoch {
  client?: OPCUAClient;
  session?: ClientSession;
  certificateManager?: OPCUACertificateManager;
  stops: (() => Promise<void> | void)[];
}

export function createOpcUaDriver(options: OpcUaDriverOptions, events: DriverEvents<OpcUaReading>): Driver {
  const { log, tags } = options;
  const backoff = new Backoff({
    initialMs: options.reconnect?.initialMs ?? 500,
    maxMs: options.reconnect?.maxMs ?? 30_000,
  });
  let stopped = false;
  let loop: Promise<void> | undefined;
  /** Resolves the wait of the running epoch (connection lost or stop()). */
  let interrupt: (reason: string) => void = () => {};
  let wakeSleep: () => void = () => {};

  const allBad = (error: string, code: number): void => {
    events.onReading({ ts: Date.now(), results: tags.map((_t, tag) => ({ tag, error, code })) });
  };

  const run = async (): Promise<void> => {
    const opcua: OpcUa = await import('node-opcua-client');
    const { OPCUACertificateManager } = await import('node-opcua-certificate-manager');
    // Before the first connect: node-opcua would otherwise print plain text into our JSON-lines stdout.
    routeNodeOpcuaLog(opcua, log);
    let lastReason: string | undefined;
    while (!stopped) {
      events.onConnectionState('connecting');
      const epoch: Epoch = { stops: [] };
      // Each epoch has its own resolver: a late event from an old, torn-down client cannot end a new epoch.
      let endEpoch: (reason: string) => void = () => {};
      const lost = new Promise<string>((resolve) => {
        endEpoch = resolve;
      });
      interrupt = endEpoch;
      try {
        await connectEpoch(opcua, OPCUACertificateManager, epoch, endEpoch);
        backoff.reset();
        lastReason = undefined;
        events.onConnectionState('connected');
        log.info({ endpoint: options.endpoint }, 'OPC UA session established');
        const reason = await lost;
        if (stopped) break;
        log.warn({ endpoint: options.endpoint }, 'OPC UA connection lost: %s', reason);
        allBad(`connection to ${options.endpoint} lost: ${reason}`, BAD_NOT_CONNECTED);
        events.onConnectionState('disconnected', reason);
      } catch (error) {
        if (stopped) break;
        const untrusted = await describeUntrusted(
          error as Error,
          options.stateDir,
          options.endpoint,
          epoch.client?.serverCertificate,
        );
        const reason = untrusted ?? `cannot connect to ${options.endpoint}: ${(error as Error).message}`;
        // Log a repeated failure once at warn level, then at debug: a device that is down for a day
        // must not fill the journal.
        if (reason !== lastReason) log.warn({ endpoint: options.endpoint }, '%s', reason);
        else log.debug({ endpoint: options.endpoint }, '%s', reason);
        lastReason = reason;
        allBad(reason, untrusted === undefined ? BAD_NOT_CONNECTED : BAD_CERTIFICATE_UNTRUSTED);
        events.onConnectionState('disconnected', reason);
      } finally {
        await teardown(epoch);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff.next());
        wakeSleep = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };

  const connectEpoch = async (
    opcua: OpcUa,
    CertificateManager: typeof OPCUACertificateManager,
    epoch: Epoch,
    onLost: (reason: string) => void,
  ): Promise<void> => {
    // A fresh manager per epoch re-reads trusted/ and rejected/, so a certificate an operator trusted
    // while we were backing off is honoured at the next attempt without a restart.
    const certificateManager = new CertificateManager({
      rootFolder: pkiDir(options.stateDir),
      automaticallyAcceptUnknownCertificate: false,
      disableFileWatchers: true,
    });
    epoch.certificateManager = certificateManager;
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
      // We reconnect ourselves (see the file comment): node-opcua must fail fast, not retry on its own.
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      requestedSessionTimeout: Math.max(10_000, options.timeoutMs * 6),
      defaultTransactionTimeout: options.timeoutMs,
      transportTimeout: options.timeoutMs,
    });
    epoch.client = client;
    client.on('connection_lost', () => onLost('connection lost'));
    client.on('close', () => onLost('connection closed'));
    client.on('start_reconnection', () => onLost('connection broken'));
    await client.connect(options.endpoint);

    const identity: UserIdentityInfo =
      options.user === undefined
        ? { type: opcua.UserTokenType.Anonymous }
        : {
            type: opcua.UserTokenType.UserName,
            userName: options.user.username,
            password: options.user.password,
          };
    const session = await client.createSession(identity);
    epoch.session = session;
    session.on('keepalive_failure', () => onLost('session keep-alive failed'));
    session.on('session_closed', () => onLost('session closed by the server'));

    const namespaceArray = await session.readNamespaceArray();
    const reads: (ReadValueIdOptions | undefined)[] = [];
    const unresolved: OpcUaItemResult[] = [];
    tags.forEach((tag, index) => {
      const text = nodeIdForServer(tag.nodeId, namespaceArray);
      if (text === undefined) {
        reads.push(undefined);
        unresolved.push({
          tag: index,
          error: `node ${formatNodeId(tag.nodeId)}: the server has no namespace "${String(tag.nodeId.namespace)}"`,
          code: BAD_NODE_ID_UNKNOWN,
        });
        return;
      }
      reads.push({ nodeId: opcua.resolveNodeId(text), attributeId: opcua.AttributeIds.Value });
    });
    if (unresolved.length > 0) events.onReading({ ts: Date.now(), results: unresolved });

    const onFailure = (error: Error) => onLost(error.message);
    for (const group of options.groups) {
      const items = group.tags.flatMap((tag) => {
        const read = reads[tag];
        return read === undefined ? [] : [{ tag, read }];
      });
      if (group.mode === 'poll') {
        const poll = startPollGroup({
          name: group.name,
          intervalMs: group.pollIntervalMs,
          session,
          items,
          onReading: (reading) => events.onReading(reading),
          onFailure: (error) => {
            // A Read that fails as a whole (not per node) means the session or channel is unusable.
            if (!stopped) onFailure(error);
          },
        });
        epoch.stops.push(() => poll.stop());
      } else {
        const subscription = await startSubscriptionGroup({
          opcua,
          group,
          session,
          items,
          onReading: (reading) => events.onReading(reading),
          onFailure,
        });
        epoch.stops.push(() => subscription.stop());
      }
    }
  };

  const teardown = async (epoch: Epoch): Promise<void> => {
    for (const stop of epoch.stops.reverse()) {
      await guarded(() => stop());
    }
    if (epoch.session !== undefined) {
      const session = epoch.session;
      session.removeAllListeners();
      await guarded(() => withTimeout(session.close(true), options.timeoutMs));
    }
    if (epoch.client !== undefined) {
      const client = epoch.client;
      client.removeAllListeners();
      await guarded(() => withTimeout(client.disconnect(), options.timeoutMs));
    }
    if (epoch.certificateManager !== undefined) {
      const manager = epoch.certificateManager;
      await guarded(() => manager.dispose());
    }
  };

  return {
    async start() {
      if (loop !== undefined) return;
      stopped = false;
      loop = run().catch((error: unknown) => {
        // Only a failure to load node-opcua itself can land here.
        log.error(
          { err: error },
          'OPC UA driver for %s stopped: %s',
          options.device,
          (error as Error).message,
        );
        events.onConnectionState('disconnected', (error as Error).message);
      });
    },
    async stop() {
      stopped = true;
      interrupt('stopping');
      wakeSleep();
      await loop;
      loop = undefined;
      events.onConnectionState('disconnected', 'stopped');
    },
  };
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
