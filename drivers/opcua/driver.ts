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
import type { ClientSession, OPCUAClient, ReadValueIdOptions } from 'node-opcua-client';
import { Backoff } from '../../core/backoff.ts';
import type { Driver, DriverEvents } from '../../core/driver.ts';
import type { OpcUaReading } from '../../mappings/opcua/reading.ts';
import { describeConnectFailure } from './connect-failure.ts';
import { type Epoch, teardownEpoch } from './epoch.ts';
import { connectEpochClient, sessionTimeoutOf } from './epoch-client.ts';
import { routeNodeOpcuaLog, withLibraryLog } from './library-log.ts';
import type { OpcUaDriverOptions } from './options.ts';
import { trustedDir } from './pki.ts';
import { type PollGroup, startPollGroup } from './poll-group.ts';
import { resolveTags } from './resolve-tags.ts';
import { sleepBeforeRetry } from './retry-sleep.ts';
import { type ResumePath, type ServerIdentity, watchRecovery } from './session-recovery.ts';
import { BAD_CERTIFICATE_UNTRUSTED, BAD_NOT_CONNECTED, statusName } from './status.ts';
import { type SubscriptionGroup, startSubscriptionGroup } from './subscription-group.ts';
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
  return new OpcUaConnectionLoop(options, events);
}

type CertificateManagerClass = typeof OPCUACertificateManager;
type SubscribedItem = { tag: number; read: ReadValueIdOptions };

/** What the connection loop keeps from one attempt to the next. */
interface LoopState {
  lastReason: string | undefined;
  everConnected: boolean;
  /** The last attempt failed because fieldbridge does not trust the server's certificate. */
  untrustedServer: boolean;
}

class OpcUaConnectionLoop implements OpcUaDriver {
  readonly stats: OpcUaDriverStats = {
    resumes: { reactivated: 0, transferred: 0, 'new-session': 0 },
    rebuilds: 0,
  };
  readonly #options: OpcUaDriverOptions;
  readonly #events: DriverEvents<OpcUaReading>;
  readonly #backoff: Backoff;
  #stopped = false;
  #loop: Promise<void> | undefined;
  /** Resolves the wait of the running epoch (connection lost or stop()). */
  #interrupt: (reason: string) => void = () => {};
  #wakeSleep: () => void = () => {};

  constructor(options: OpcUaDriverOptions, events: DriverEvents<OpcUaReading>) {
    this.#options = options;
    this.#events = events;
    this.#backoff = new Backoff({
      initialMs: options.reconnect?.initialMs ?? 500,
      maxMs: options.reconnect?.maxMs ?? 30_000,
    });
  }

  async start(): Promise<void> {
    if (this.#loop !== undefined) return;
    this.#stopped = false;
    const { log } = this.#options;
    // node-opcua's own log lines from this connection loop name this device (library-log.ts).
    this.#loop = withLibraryLog(log, () => this.#run()).catch((error: unknown) => {
      // Only a failure to load node-opcua itself can land here.
      log.error(
        { err: error },
        'OPC UA driver for %s stopped: %s',
        this.#options.device,
        (error as Error).message,
      );
      this.#events.onConnectionState('disconnected', (error as Error).message);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#interrupt('stopping');
    this.#wakeSleep();
    await this.#loop;
    this.#loop = undefined;
    this.#events.onConnectionState('disconnected', 'stopped');
  }

  #allBad(error: string, code: number): void {
    this.#events.onReading({
      ts: Date.now(),
      results: this.#options.tags.map((_t, tag) => ({ tag, error, code })),
    });
  }

  /** Epoch after epoch until stopped, backing off between them. */
  async #run(): Promise<void> {
    const opcua: OpcUa = await import('node-opcua-client');
    const { OPCUACertificateManager } = await import('node-opcua-certificate-manager');
    // Before the first connect: node-opcua would otherwise print plain text into our JSON-lines stdout.
    routeNodeOpcuaLog(opcua, this.#options.log);
    const state: LoopState = { lastReason: undefined, everConnected: false, untrustedServer: false };
    while (!this.#stopped) {
      await this.#epoch(opcua, OPCUACertificateManager, state);
      if (this.#stopped) break;
      const sleep = sleepBeforeRetry(
        this.#backoff.next(),
        state.untrustedServer ? trustedDir(this.#options.stateDir) : undefined,
      );
      this.#wakeSleep = sleep.wake;
      await sleep.done;
    }
  }

  /** One epoch: connect, run until something breaks, report it, tear everything down. */
  async #epoch(opcua: OpcUa, CertificateManager: CertificateManagerClass, state: LoopState): Promise<void> {
    const { log, endpoint } = this.#options;
    this.#events.onConnectionState('connecting');
    const epoch: Epoch = { stops: [] };
    // Each epoch has its own resolver: a late event from an old, torn-down client cannot end a new epoch.
    let endEpoch: (reason: string) => void = () => {};
    const lost = new Promise<string>((resolve) => {
      endEpoch = resolve;
    });
    this.#interrupt = endEpoch;
    state.untrustedServer = false;
    try {
      await this.#connectEpoch(opcua, CertificateManager, epoch, endEpoch);
      this.#backoff.reset();
      state.lastReason = undefined;
      this.#events.onConnectionState('connected');
      if (state.everConnected) {
        this.stats.rebuilds++;
        log.info(
          { endpoint, path: 'rebuilt' },
          'OPC UA session established (rebuilt: new session, subscriptions created anew)',
        );
      } else {
        log.info({ endpoint }, 'OPC UA session established');
      }
      state.everConnected = true;
      const reason = await lost;
      if (this.#stopped) return;
      if (epoch.broken === true) {
        // The break was already reported when node-opcua started its repair: one line, no new state.
        log.warn({ endpoint }, 'OPC UA session not resumed: %s; rebuilding it', reason);
      } else {
        log.warn({ endpoint }, 'OPC UA connection lost: %s', reason);
        this.#allBad(`connection to ${endpoint} lost: ${reason}`, BAD_NOT_CONNECTED);
        this.#events.onConnectionState('disconnected', reason);
      }
    } catch (error) {
      if (this.#stopped) return;
      await this.#connectFailed(opcua, error as Error, epoch, state);
    } finally {
      await teardownEpoch(epoch, this.#options.timeoutMs);
    }
  }

  async #connectFailed(opcua: OpcUa, error: Error, epoch: Epoch, state: LoopState): Promise<void> {
    const options = this.#options;
    const { reason, code } = await describeConnectFailure({
      error,
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
    if (reason !== state.lastReason) options.log.warn({ endpoint: options.endpoint }, '%s', reason);
    else options.log.debug({ endpoint: options.endpoint }, '%s', reason);
    state.lastReason = reason;
    state.untrustedServer =
      code === BAD_CERTIFICATE_UNTRUSTED && epoch.refusedServerCertificate !== undefined;
    this.#allBad(reason, code);
    this.#events.onConnectionState('disconnected', reason);
  }

  /** Client, session, server identity, tags resolved, groups started, session repair watched. */
  async #connectEpoch(
    opcua: OpcUa,
    CertificateManager: CertificateManagerClass,
    epoch: Epoch,
    onLost: (reason: string) => void,
  ): Promise<void> {
    const options = this.#options;
    const client = await connectEpochClient(opcua, CertificateManager, options, epoch, onLost);
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
    const { reads, unresolved } = resolveTags(opcua, options.tags, serverIdentity.namespaces);
    if (unresolved.length > 0) this.#events.onReading({ ts: Date.now(), results: unresolved });

    // Filled in below; a failure before that is a plain lost connection.
    let repairing = (): boolean => false;
    const onFailure = (error: Error) => {
      // While node-opcua repairs the session, failed requests are expected and the repair decides.
      if (!this.#stopped && !repairing() && !client.isReconnecting) onLost(error.message);
    };
    const groups = await this.#startGroups(opcua, session, reads, epoch, onFailure);
    const recovery = this.#watchRecovery(
      client,
      session,
      serverIdentity,
      readIdentity,
      groups,
      epoch,
      onLost,
    );
    repairing = () => recovery.repairing;
    epoch.stops.push(() => recovery.stop());
    session.on('keepalive_failure', () => {
      if (!recovery.repairing && !client.isReconnecting) onLost('session keep-alive failed');
    });
  }

  async #startGroups(
    opcua: OpcUa,
    session: ClientSession,
    reads: ReturnType<typeof resolveTags>['reads'],
    epoch: Epoch,
    onFailure: (error: Error) => void,
  ): Promise<StartedGroups> {
    const started: StartedGroups = { polls: [], subscriptions: [], subscribed: [] };
    const onReading = (reading: OpcUaReading) => this.#events.onReading(reading);
    for (const group of this.#options.groups) {
      const items = group.tags.flatMap((tag) => {
        const read = reads[tag];
        return read === undefined ? [] : [{ tag, read }];
      });
      if (group.mode === 'poll') {
        // A Read that fails as a whole (not per node) means the session or channel is unusable.
        const poll = startPollGroup({
          name: group.name,
          intervalMs: group.pollIntervalMs,
          session,
          items,
          onReading,
          onFailure,
        });
        started.polls.push(poll);
        epoch.stops.push(() => poll.stop());
      } else {
        const sessionTimeoutMs = sessionTimeoutOf(this.#options);
        const subscription = await startSubscriptionGroup({
          opcua,
          group,
          session,
          items,
          sessionTimeoutMs,
          onReading,
          onFailure,
        });
        started.subscriptions.push(subscription);
        started.subscribed.push(...items);
        epoch.stops.push(() => subscription.stop());
      }
    }
    return started;
  }

  #watchRecovery(
    client: OPCUAClient,
    session: ClientSession,
    identity: ServerIdentity,
    readIdentity: () => Promise<ServerIdentity>,
    { polls, subscriptions, subscribed }: StartedGroups,
    epoch: Epoch,
    onLost: (reason: string) => void,
  ): ReturnType<typeof watchRecovery> {
    const { log, endpoint } = this.#options;
    const pause = (paused: boolean): void => {
      for (const group of [...polls, ...subscriptions]) group.pause(paused);
    };
    const recovery = watchRecovery({
      client,
      session,
      identity,
      subscriptionIds: () => subscriptions.map((s) => s.subscriptionId),
      readIdentity,
      // Beyond both the session timeout and the longest subscription lifetime the server has dropped
      // everything it kept for us: a rebuild is then just as good and re-reads the trust store.
      windowMs: Math.max(sessionTimeoutOf(this.#options), ...subscriptions.map((s) => s.lifetimeMs)),
      onBreak: (reason) => {
        pause(true);
        log.warn({ endpoint }, 'OPC UA connection lost: %s; resuming the session', reason);
        this.#allBad(`connection to ${endpoint} lost: ${reason}`, BAD_NOT_CONNECTED);
        this.#events.onConnectionState('disconnected', reason);
      },
      onResumed: (path, announced) => {
        this.stats.resumes[path]++;
        pause(false);
        log.info({ endpoint, path }, 'OPC UA session resumed (%s)', RESUME_TEXT[path]);
        if (announced) this.#events.onConnectionState('connected');
        void this.#refresh(session, subscribed);
      },
      onGiveUp: (reason) => {
        pause(true);
        epoch.broken = recovery.repairing;
        onLost(reason);
      },
    });
    return recovery;
  }

  /**
   * Values of subscribed tags after a resume: a reactivated session only republishes what was not yet
   * acknowledged, so a value that did not change since the break would otherwise stay bad.
   */
  async #refresh(session: ClientSession, items: readonly SubscribedItem[]): Promise<void> {
    if (items.length === 0) return;
    try {
      const dataValues = await session.read(items.map((i) => i.read));
      if (this.#stopped) return;
      this.#events.onReading({
        ts: Date.now(),
        results: items.flatMap((item, i) => {
          const dataValue = dataValues[i];
          return dataValue === undefined ? [] : [{ tag: item.tag, dataValue }];
        }),
      });
    } catch (error) {
      // The next notification brings the value anyway; a failing session is noticed by its own events.
      this.#options.log.debug(
        { endpoint: this.#options.endpoint },
        'refresh after resume failed: %s',
        (error as Error).message,
      );
    }
  }
}

interface StartedGroups {
  readonly polls: PollGroup[];
  readonly subscriptions: SubscriptionGroup[];
  readonly subscribed: SubscribedItem[];
}
