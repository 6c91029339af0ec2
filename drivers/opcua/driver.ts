/**
 * The OPC UA driver (issue 5). One connection "epoch" at a time: connect → session → read the server's
 * NamespaceArray and start time → resolve every tag's node id (so `nsu=` ids follow a server that
 * reordered its namespaces, node-opcua #1059) → start subscription and poll groups → wait until something
 * breaks → tear everything down → back off (core/backoff.ts, never giving up; a server certificate
 * trusted during the wait ends it at once, retry-sleep.ts) → start over.
 *
 * Inside an epoch, a broken channel is first left to node-opcua's own session repair, which keeps the
 * server-side subscriptions when the server still has them (reactivate or TransferSubscriptions; see
 * session-recovery.ts). Everything else (server restart, changed namespaces, a repair that does not
 * finish in time, a session the server closed) ends the epoch and rebuilds from scratch, so re-resolving
 * namespaces stays unconditional on every path where it could matter.
 *
 * node-opcua is imported here only when start() runs, so a gateway without OPC UA devices never loads it.
 * Nothing here throws out of start(): every failure becomes a connection state and bad tags.
 */

import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type { ClientSession, ReadValueIdOptions } from 'node-opcua-client';
import { Backoff } from '../../core/backoff.ts';
import type { Driver, DriverEvents } from '../../core/driver.ts';
import type { OpcUaReading } from '../../mappings/opcua/reading.ts';
import { describeConnectFailure } from './connect-failure.ts';
import { type Epoch, teardownEpoch } from './epoch.ts';
import { watchErrMessages } from './err-message.ts';
import { routeNodeOpcuaLog, withLibraryLog } from './library-log.ts';
import type { OpcUaDriverOptions } from './options.ts';
import { pkiDir, trustedDir } from './pki.ts';
import { type PollGroup, startPollGroup } from './poll-group.ts';
import { resolveTags } from './resolve-tags.ts';
import { sleepBeforeRetry } from './retry-sleep.ts';
import { type ResumePath, type ServerIdentity, watchRecovery } from './session-recovery.ts';
import { BAD_CERTIFICATE_UNTRUSTED, BAD_NOT_CONNECTED, formatCode, statusName } from './status.ts';
import { type SubscriptionGroup, startSubscriptionGroup } from './subscription-group.ts';
import { recordRefusals } from './untrusted.ts';
import { loadUserIdentity } from './user-identity.ts';

type OpcUa = typeof import('node-opcua-client');

const RESUME_TEXT: Readonly<Record<ResumePath, string>> = {
  reactivated: 'session reactivated on a new channel, subscriptions kept',
  transferred: 'subscriptions transferred to a new session',
  'new-session': 'new session, same server',
};

/** Counters of how sessions came back, for tests and status pages. */
export interface OpcUaDriverStats {
  /** Breaks repaired while keeping the server's state, by path. */
  readonly resumes: Record<ResumePath, number>;
  /** Sessions set up from scratch after the first one (server restart, failed resume, …). */
  rebuilds: number;
}

export interface OpcUaDriver extends Driver {
  readonly stats: Readonly<OpcUaDriverStats>;
}

export function createOpcUaDriver(
  options: OpcUaDriverOptions,
  events: DriverEvents<OpcUaReading>,
): OpcUaDriver {
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
  const stats: OpcUaDriverStats = {
    resumes: { reactivated: 0, transferred: 0, 'new-session': 0 },
    rebuilds: 0,
  };

  const allBad = (error: string, code: number): void => {
    events.onReading({ ts: Date.now(), results: tags.map((_t, tag) => ({ tag, error, code })) });
  };

  const run = async (): Promise<void> => {
    const opcua: OpcUa = await import('node-opcua-client');
    const { OPCUACertificateManager } = await import('node-opcua-certificate-manager');
    // Before the first connect: node-opcua would otherwise print plain text into our JSON-lines stdout.
    routeNodeOpcuaLog(opcua, log);
    let lastReason: string | undefined;
    let everConnected = false;
    /** The last attempt failed because fieldbridge does not trust the server's certificate. */
    let untrustedServer = false;
    while (!stopped) {
      events.onConnectionState('connecting');
      const epoch: Epoch = { stops: [] };
      // Each epoch has its own resolver: a late event from an old, torn-down client cannot end a new epoch.
      let endEpoch: (reason: string) => void = () => {};
      const lost = new Promise<string>((resolve) => {
        endEpoch = resolve;
      });
      interrupt = endEpoch;
      untrustedServer = false;
      try {
        await connectEpoch(opcua, OPCUACertificateManager, epoch, endEpoch);
        backoff.reset();
        lastReason = undefined;
        events.onConnectionState('connected');
        if (everConnected) {
          stats.rebuilds++;
          log.info(
            { endpoint: options.endpoint, path: 'rebuilt' },
            'OPC UA session established (rebuilt: new session, subscriptions created anew)',
          );
        } else {
          log.info({ endpoint: options.endpoint }, 'OPC UA session established');
        }
        everConnected = true;
        const reason = await lost;
        if (stopped) break;
        if (epoch.broken === true) {
          // The break was already reported when node-opcua started its repair: one line, no new state.
          log.warn({ endpoint: options.endpoint }, 'OPC UA session not resumed: %s; rebuilding it', reason);
        } else {
          log.warn({ endpoint: options.endpoint }, 'OPC UA connection lost: %s', reason);
          allBad(`connection to ${options.endpoint} lost: ${reason}`, BAD_NOT_CONNECTED);
          events.onConnectionState('disconnected', reason);
        }
      } catch (error) {
        if (stopped) break;
        const { reason, code } = await describeConnectFailure({
          error: error as Error,
          device: options.device,
          endpoint: options.endpoint,
          stateDir: options.stateDir,
          user: options.user,
          errMessage: epoch.errMessages?.last,
          refusedServerCertificate: epoch.refusedServerCertificate,
          statusName: (value) => statusName(opcua, value),
        });
        // Log a repeated failure once at warn level, then at debug: a device that is down for a day
        // must not fill the journal.
        if (reason !== lastReason) log.warn({ endpoint: options.endpoint }, '%s', reason);
        else log.debug({ endpoint: options.endpoint }, '%s', reason);
        lastReason = reason;
        untrustedServer = code === BAD_CERTIFICATE_UNTRUSTED && epoch.refusedServerCertificate !== undefined;
        allBad(reason, code);
        events.onConnectionState('disconnected', reason);
      } finally {
        await teardownEpoch(epoch, options.timeoutMs);
      }
      if (stopped) break;
      const sleep = sleepBeforeRetry(
        backoff.next(),
        untrustedServer ? trustedDir(options.stateDir) : undefined,
      );
      wakeSleep = sleep.wake;
      await sleep.done;
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
    recordRefusals(certificateManager, (der) => {
      epoch.refusedServerCertificate = der;
    });
    await certificateManager.initialize();
    const secure = options.securityMode !== 'None';
    const sessionTimeoutMs =
      options.sessionTimeoutMs ??
      Math.max(
        10_000,
        options.timeoutMs * 6,
        // Room for keep-alives of the slowest subscription (see subscription-group.ts).
        ...options.groups.map((g) => (g.mode === 'subscription' ? 3 * g.publishingIntervalMs : 0)),
      );
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
      requestedSessionTimeout: sessionTimeoutMs,
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

    const identity = await loadUserIdentity(opcua, options.device, options.user);
    const session = await client.createSession(identity);
    epoch.session = session;
    session.on('session_closed', () => onLost('session closed by the server'));

    const readIdentity = async (): Promise<ServerIdentity> => {
      const [namespaces, startTime] = await session.read([
        { nodeId: opcua.resolveNodeId('i=2255'), attributeId: opcua.AttributeIds.Value },
        { nodeId: opcua.resolveNodeId('i=2257'), attributeId: opcua.AttributeIds.Value },
      ]);
      const start = startTime?.value.value as unknown;
      return {
        namespaces: (namespaces?.value.value as string[] | null) ?? [],
        startTime: start instanceof Date ? start.getTime() : 0,
      };
    };
    const serverIdentity = await readIdentity();
    const { reads, unresolved } = resolveTags(opcua, tags, serverIdentity.namespaces);
    if (unresolved.length > 0) events.onReading({ ts: Date.now(), results: unresolved });

    const polls: PollGroup[] = [];
    const subscriptions: SubscriptionGroup[] = [];
    const subscribed: { tag: number; read: ReadValueIdOptions }[] = [];
    // Filled in below; a failure before that is a plain lost connection.
    let repairing = (): boolean => false;
    const onFailure = (error: Error) => {
      // While node-opcua repairs the session, failed requests are expected and the repair decides.
      if (!stopped && !repairing() && !client.isReconnecting) onLost(error.message);
    };
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
          // A Read that fails as a whole (not per node) means the session or channel is unusable.
          onFailure,
        });
        polls.push(poll);
        epoch.stops.push(() => poll.stop());
      } else {
        const subscription = await startSubscriptionGroup({
          opcua,
          group,
          session,
          items,
          sessionTimeoutMs,
          onReading: (reading) => events.onReading(reading),
          onFailure,
        });
        subscriptions.push(subscription);
        subscribed.push(...items);
        epoch.stops.push(() => subscription.stop());
      }
    }

    const pause = (paused: boolean): void => {
      for (const group of [...polls, ...subscriptions]) group.pause(paused);
    };
    const recovery = watchRecovery({
      client,
      session,
      identity: serverIdentity,
      subscriptionIds: () => subscriptions.map((s) => s.subscriptionId),
      readIdentity,
      // Beyond both the session timeout and the longest subscription lifetime the server has dropped
      // everything it kept for us: a rebuild is then just as good and re-reads the trust store.
      windowMs: Math.max(sessionTimeoutMs, ...subscriptions.map((s) => s.lifetimeMs)),
      onBreak: (reason) => {
        pause(true);
        log.warn({ endpoint: options.endpoint }, 'OPC UA connection lost: %s; resuming the session', reason);
        allBad(`connection to ${options.endpoint} lost: ${reason}`, BAD_NOT_CONNECTED);
        events.onConnectionState('disconnected', reason);
      },
      onResumed: (path, announced) => {
        stats.resumes[path]++;
        pause(false);
        log.info({ endpoint: options.endpoint, path }, 'OPC UA session resumed (%s)', RESUME_TEXT[path]);
        if (announced) events.onConnectionState('connected');
        void refresh(session, subscribed);
      },
      onGiveUp: (reason) => {
        pause(true);
        epoch.broken = recovery.repairing;
        onLost(reason);
      },
    });
    repairing = () => recovery.repairing;
    epoch.stops.push(() => recovery.stop());
    session.on('keepalive_failure', () => {
      if (!recovery.repairing && !client.isReconnecting) onLost('session keep-alive failed');
    });
  };

  /**
   * Values of subscribed tags after a resume: a reactivated session only republishes what was not yet
   * acknowledged, so a value that did not change since the break would otherwise stay bad.
   */
  const refresh = async (
    session: ClientSession,
    items: readonly { tag: number; read: ReadValueIdOptions }[],
  ): Promise<void> => {
    if (items.length === 0) return;
    try {
      const dataValues = await session.read(items.map((i) => i.read));
      if (stopped) return;
      events.onReading({
        ts: Date.now(),
        results: items.flatMap((item, i) => {
          const dataValue = dataValues[i];
          return dataValue === undefined ? [] : [{ tag: item.tag, dataValue }];
        }),
      });
    } catch (error) {
      // The next notification brings the value anyway; a failing session is noticed by its own events.
      log.debug({ endpoint: options.endpoint }, 'refresh after resume failed: %s', (error as Error).message);
    }
  };

  return {
    stats,
    async start() {
      if (loop !== undefined) return;
      stopped = false;
      // node-opcua's own log lines from this connection loop name this device (library-log.ts).
      loop = withLibraryLog(log, run).catch((error: unknown) => {
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
