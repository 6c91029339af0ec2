/**
 * /readyz: ready when the broker is connected, the queue takes writes, and every device is within its
 * error budget (PollHealth). The reasons it is not are listed in plain words, for the operator.
 */
import type { GatewayStatus } from '../gateway.ts';
import type { PollHealth } from './poll-health.ts';

export interface Readiness {
  readonly ready: boolean;
  readonly problems: readonly string[];
}

export function readiness(status: GatewayStatus, health: PollHealth): Readiness {
  const problems: string[] = [];
  if (!status.publisher.connected) {
    problems.push(`broker not connected${suffix(status.publisher.lastError)}`);
  }
  if (status.queue.degraded) problems.push('queue writes are failing (disk full or read-only?)');
  for (const device of status.devices) {
    if (!health.withinBudget(device.name)) {
      const percent = Math.round(health.failedFraction(device.name) * 100);
      problems.push(`device ${device.name}: ${percent}% of recent polls failed${suffix(device.lastError)}`);
    }
  }
  return { ready: problems.length === 0, problems };
}

function suffix(reason: string | undefined): string {
  return reason === undefined ? '' : `: ${reason}`;
}
