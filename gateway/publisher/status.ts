/**
 * The retained status topic: "online" (birth, published after every connect) and "offline" (the last
 * will, which the broker publishes when the connection dies without a DISCONNECT, and which we publish
 * ourselves on a clean stop because a clean DISCONNECT suppresses the will).
 */
import type { MqttClient } from 'mqtt';

export type GatewayState = 'online' | 'offline';

/**
 * `{"state":"online","gateway":"…","boot":"…","ts":"…"}`. For the will, `ts` is the connect time.
 * `unstoredSeqs` (online only, after a crash): the seqs the killed process reserved and never stored, so
 * consumers can tell them from real loss (docs/delivery.md).
 */
export function statusPayload(
  state: GatewayState,
  gateway: string,
  boot: string,
  ts: number,
  unstoredSeqs?: { readonly from: number; readonly to: number },
): Buffer {
  const body: Record<string, unknown> = { state, gateway, boot, ts: new Date(ts).toISOString() };
  if (unstoredSeqs !== undefined) body.unstoredSeqs = { from: unstoredSeqs.from, to: unstoredSeqs.to };
  return Buffer.from(JSON.stringify(body));
}

/** The status publish got no PUBACK in time: the connection is not usable (the caller drops it). */
export class StatusTimeout extends Error {}

/** Publishes a status message (QoS 1, retained); rejects on a refusal or after `timeoutMs` without PUBACK. */
export function publishStatus(
  client: MqttClient,
  topic: string,
  state: GatewayState,
  payload: Buffer,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StatusTimeout(`no PUBACK for the ${state} status on ${topic} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.publish(topic, payload, { qos: 1, retain: true }, (error) => {
      clearTimeout(timer);
      if (error !== undefined && error !== null) reject(error);
      else resolve();
    });
  });
}
