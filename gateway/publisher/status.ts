/**
 * The retained status topic: "online" (birth, published after every connect) and "offline" (the last
 * will, which the broker publishes when the connection dies without a DISCONNECT, and which we publish
 * ourselves on a clean stop because a clean DISCONNECT suppresses the will).
 */

export type GatewayState = 'online' | 'offline';

/** `{"state":"online","gateway":"…","boot":"…","ts":"…"}`. For the will, `ts` is the connect time. */
export function statusPayload(state: GatewayState, gateway: string, boot: string, ts: number): Buffer {
  return Buffer.from(JSON.stringify({ state, gateway, boot, ts: new Date(ts).toISOString() }));
}
