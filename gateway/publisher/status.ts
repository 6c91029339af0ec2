/**
 * The retained status topic: "online" (birth, published after every connect) and "offline" (the last
 * will, which the broker publishes when the connection dies without a DISCONNECT, and which we publish
 * ourselves on a clean stop because a clean DISCONNECT suppresses the will).
 */

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
