/**
 * `fieldbridge status [--url http://127.0.0.1:9810] [--token T]`: asks a running gateway for
 * /api/status and prints devices, broker and queue as tables. Exit code 0 when the gateway is ready
 * (degraded included: see gateway/http/readiness.ts), 1 when it is not or cannot be reached. The token
 * may also come from $FIELDBRIDGE_HTTP_TOKEN (keeps it out of the shell history and `ps`).
 */
import type { Output } from '../cli.ts';
import type { ApiDevice, ApiStatus } from '../http/api-status.ts';
import { DEFAULT_HTTP_PORT } from '../http/start.ts';
import { table } from './first-event.ts';

export const DEFAULT_STATUS_URL = `http://127.0.0.1:${DEFAULT_HTTP_PORT}`;

export async function runStatus(
  options: { readonly url?: string; readonly token?: string },
  out: Output,
): Promise<number> {
  const base = (options.url ?? DEFAULT_STATUS_URL).replace(/\/+$/, '');
  const token = options.token ?? process.env.FIELDBRIDGE_HTTP_TOKEN;
  let status: ApiStatus;
  try {
    const response = await fetch(`${base}/api/status`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    status = (await response.json()) as ApiStatus;
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    out.error(`fieldbridge status: cannot get ${base}/api/status: ${cause}`);
    return 1;
  }
  const g = status.gateway;
  // Ready with problems is "degraded" (gateway/http/readiness.ts): a broker outage, failing devices.
  const verdict = !g.ready ? 'NOT READY' : g.problems.length > 0 ? 'ready, DEGRADED' : 'ready';
  out.log(`gateway ${g.id} ${g.version}, up ${g.uptimeSeconds} s: ${verdict}`);
  for (const problem of g.problems) out.log(`  - ${problem}`);
  const b = status.broker;
  out.log(
    `broker: ${b.connected ? 'connected' : `disconnected${b.lastError ? ` (${b.lastError})` : ''}`}, ` +
      `published ${b.published}, acknowledged ${b.acknowledged}, in flight ${b.inflight}, reconnects ${b.reconnects}`,
  );
  const q = status.queue;
  out.log(
    `queue: ${q.depth} messages, ${q.bytes} bytes, oldest ${q.oldestAgeSeconds === null ? '—' : `${Math.round(q.oldestAgeSeconds)} s`}, ` +
      `dropped ${q.dropped}${q.degraded ? ', WRITES FAILING' : ''}`,
  );
  out.log('');
  const rows = status.devices.map((d) => {
    const count = (quality: string) => d.tags.filter((t) => t.quality === quality).length;
    return [
      d.name,
      d.driver,
      d.state,
      String(d.polls),
      `${d.failedPollPercent}%`,
      `${count('good')}/${count('bad')}/${count('stale')}`,
      lastErrorOf(d),
    ];
  });
  for (const line of table([
    ['DEVICE', 'DRIVER', 'STATE', 'POLLS', 'FAILED', 'GOOD/BAD/STALE', 'LAST ERROR'],
    ...rows,
  ])) {
    out.log(line);
  }
  return g.ready ? 0 : 1;
}

/**
 * The device's last connection error; for a connected device whose tags are bad (a Modbus exception on
 * every block, a refused node), what its tags say, so the row never reads "connected" and blank while
 * the tags carry an error.
 */
function lastErrorOf(device: ApiDevice): string {
  const bad = device.tags.filter((t) => t.quality === 'bad' && t.error !== undefined);
  if (device.state !== 'connected' || bad.length === 0) return device.lastError ?? '';
  const first = bad[0]?.error ?? '';
  return bad.length === 1
    ? `tag ${bad[0]?.name}: ${first}`
    : `${bad.length} tags bad, e.g. ${bad[0]?.name}: ${first}`;
}
