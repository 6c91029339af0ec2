/**
 * What /readyz, /api/status and `fieldbridge status` say about the gateway as a whole.
 *
 * Readiness is about the gateway itself, not about the plant it reads: **ready** means every value it
 * reads is kept — the queue takes writes — and sent on when the broker is reachable. A broker outage is
 * what store-and-forward is for, and a plant is rarely all up: one dead meter out of forty must not make
 * the gateway look down (a readiness probe that fails on a dependency's outage tells the operator
 * nothing about which one, and a supervisor acting on it would restart a gateway that is working). So:
 *
 * - not ready (503): the queue's writes fail (disk full or read-only): values are being lost;
 * - ready but **degraded** (200): the broker is not connected (the queue fills), or devices are over
 *   their error budget (PollHealth) — each named, with its last error;
 * - ready (200): nothing to report.
 *
 * Every reason is listed in plain words, for the operator; docs/operations.md ("Readiness") has the why.
 */
import type { GatewayStatus } from '../gateway.ts';
import type { PollHealth } from './poll-health.ts';

export interface Readiness {
  readonly ready: boolean;
  /** Ready, but with problems: a broker outage or failing devices. */
  readonly degraded: boolean;
  /** Every reason (what makes it not ready, and what makes it degraded), for the operator. */
  readonly problems: readonly string[];
}

export function readiness(status: GatewayStatus, health: PollHealth): Readiness {
  const fatal: string[] = [];
  const problems: string[] = [];
  if (!status.publisher.connected) {
    problems.push(`broker not connected${suffix(status.publisher.lastError)}`);
  }
  if (status.queue.degraded) {
    const problem = 'queue writes are failing (disk full or read-only?)';
    fatal.push(problem);
    problems.push(problem);
  }
  for (const device of status.devices) {
    if (!health.withinBudget(device.name)) {
      const percent = Math.round(health.failedFraction(device.name) * 100);
      problems.push(`device ${device.name}: ${percent}% of recent polls failed${suffix(device.lastError)}`);
    }
  }
  const ready = fatal.length === 0;
  return { ready, degraded: ready && problems.length > 0, problems };
}

/** The /readyz body: "ready", "ready, degraded:" or "not ready:", then one reason per line. */
export function readinessText(r: Readiness): string {
  const head = !r.ready ? 'not ready' : r.degraded ? 'ready, degraded' : 'ready';
  return r.problems.length === 0 ? `${head}\n` : `${head}:\n${r.problems.map((p) => `- ${p}\n`).join('')}`;
}

function suffix(reason: string | undefined): string {
  return reason === undefined ? '' : `: ${reason}`;
}
