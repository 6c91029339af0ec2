/**
 * MQTT 5 negative PUBACKs: which ones mean "this message will never be accepted" (drop it, count it, log
 * it, so one bad message cannot block the queue forever) and which mean "not now" (drop the connection
 * and resend later, like a lost PUBACK). Reason codes: MQTT 5 spec 3.4.2.1.
 */
const PERMANENT = new Set([
  0x87, // Not authorized (ACL)
  0x90, // Topic Name invalid
  0x95, // Packet too large
  0x99, // Payload format invalid
]);

export function isPermanentRejection(reasonCode: unknown): boolean {
  return typeof reasonCode === 'number' && PERMANENT.has(reasonCode);
}
