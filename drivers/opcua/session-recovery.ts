/**
 * "Transfer when possible, rebuild otherwise" (issue 5, OPC UA Part 4 6.7).
 *
 * When the channel breaks, node-opcua repairs the session itself (its reconnection in
 * node-opcua-client/dist/private/reconnection): new secure channel, then ActivateSession of the old
 * session (it is still alive on the server after a short blip: "reactivated", plus Republish), or, if the
 * server dropped the session (session timeout) but still holds its subscriptions, CreateSession +
 * TransferSubscriptions ("transferred"). Both keep the server-side subscriptions and monitored items, so
 * nothing is lost and nothing is set up again.
 *
 * What node-opcua does when neither works is not good enough for us: it recreates the subscriptions
 * with the *numeric* node ids of before, which after a server restart with reordered namespaces point at
 * other nodes (node-opcua #1059). So once node-opcua says the session is restored, this checks that the
 * server is the same process (ServerStatus.StartTime), has the same NamespaceArray, and still serves the
 * same subscription ids. If not, or if no repair succeeded within the window (beyond which the server
 * has dropped whatever it kept for us), the driver rebuilds from scratch: new client, namespaces
 * re-resolved, subscriptions created anew. The subscription groups are paused in between, so a value
 * from a wrongly recreated item never reaches a tag.
 */
import type { ClientSession, OPCUAClient } from 'node-opcua-client';

/** What the server looked like when the epoch started. */
export interface ServerIdentity {
  /** ServerStatus.StartTime in ms: changes when the server process restarts. */
  readonly startTime: number;
  readonly namespaces: readonly string[];
}

/** How a broken session came back without a rebuild. */
export type ResumePath = 'reactivated' | 'transferred' | 'new-session';

export interface RecoveryOptions {
  readonly client: OPCUAClient;
  readonly session: ClientSession;
  readonly identity: ServerIdentity;
  /** Current server ids of the epoch's subscriptions, in group order. */
  readonly subscriptionIds: () => number[];
  readonly readIdentity: () => Promise<ServerIdentity>;
  /** How long node-opcua may try to repair before the driver rebuilds. */
  readonly windowMs: number;
  /** The channel broke; node-opcua is repairing. Called once per break. */
  readonly onBreak: (reason: string) => void;
  /** The session is usable again with everything the server kept. `announced`: onBreak was called. */
  readonly onResumed: (path: ResumePath, announced: boolean) => void;
  /** Resuming is impossible or unsafe: the driver must rebuild. */
  readonly onGiveUp: (reason: string) => void;
}

export interface Recovery {
  /** True between a break and its outcome. */
  readonly repairing: boolean;
  stop(): void;
}

export function watchRecovery(options: RecoveryOptions): Recovery {
  const { client, session } = options;
  let repairing = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let sessionIdBefore = session.sessionId.toString();
  let idsBefore = options.subscriptionIds();

  const giveUp = (reason: string): void => {
    clearTimeout(timer);
    if (stopped) return;
    stopped = true;
    options.onGiveUp(reason);
  };

  const onConnectionLost = (): void => {
    if (stopped || repairing) return;
    repairing = true;
    timer = setTimeout(
      () => giveUp(`the session was not resumed within ${options.windowMs} ms`),
      options.windowMs,
    );
    options.onBreak('connection lost');
  };

  const onRestored = async (): Promise<void> => {
    if (stopped) return;
    clearTimeout(timer);
    const ids = options.subscriptionIds();
    let unsafe: string | undefined;
    if (ids.length !== idsBefore.length || ids.some((id, i) => id !== idsBefore[i])) {
      unsafe = 'the server no longer had the subscriptions';
    } else {
      try {
        const now = await options.readIdentity();
        if (now.startTime !== options.identity.startTime) unsafe = 'the server has restarted';
        else if (now.namespaces.join('\n') !== options.identity.namespaces.join('\n')) {
          unsafe = "the server's namespaces changed";
        }
      } catch (error) {
        unsafe = `cannot read the server status after the repair: ${(error as Error).message}`;
      }
    }
    if (stopped) return;
    if (unsafe !== undefined) {
      giveUp(unsafe);
      return;
    }
    const sessionId = session.sessionId.toString();
    const path: ResumePath =
      sessionId === sessionIdBefore ? 'reactivated' : ids.length > 0 ? 'transferred' : 'new-session';
    const announced = repairing;
    repairing = false;
    sessionIdBefore = sessionId;
    idsBefore = ids;
    options.onResumed(path, announced);
  };
  const restored = (): void => void onRestored();

  client.on('connection_lost', onConnectionLost);
  session.on('session_restored', restored);
  return {
    get repairing() {
      return repairing;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      client.off('connection_lost', onConnectionLost);
      session.off('session_restored', restored);
    },
  };
}
