/**
 * Stamps each message at publish time with its queue seq and the gateway boot id (docs/delivery.md), so
 * consumers can detect gaps (seq jumps within one boot) and duplicates (a seq seen twice).
 *
 * JSON object payloads get the fields spliced in front of the existing ones: a byte splice, because a
 * JSON.parse/stringify round trip per message would cost more than everything else on the hot path.
 * Other payloads are left untouched; for them (only) MQTT 5 user properties carry the same fields.
 */

export interface Stamper {
  payload(payload: Buffer, seq: number, historical: boolean): Buffer;
  userProperties(seq: number, historical: boolean): Record<string, string>;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

export function createStamper(boot: string): Stamper {
  // Prebuilt once: the boot id is JSON-escaped a single time, not per message.
  const bootField = `,"boot":${JSON.stringify(boot)}`;
  const historicalField = ',"historical":true';
  return {
    payload(payload, seq, historical) {
      if (payload[0] !== OPEN_BRACE) return payload;
      const rest = payload.subarray(1);
      const head = `{"seq":${seq}${bootField}${historical ? historicalField : ''}${isEmptyObjectRest(rest) ? '' : ','}`;
      // One buffer, written in place: no intermediate buffer for the head, no concat list.
      const headLength = Buffer.byteLength(head);
      const out = Buffer.allocUnsafe(headLength + rest.length);
      out.write(head, 0, 'utf8');
      rest.copy(out, headLength);
      return out;
    },
    userProperties(seq, historical): Record<string, string> {
      const properties: Record<string, string> = { seq: String(seq), boot };
      if (historical) properties.historical = 'true';
      return properties;
    },
  };
}

/** True when what follows the opening brace is only whitespace and the closing brace: `{}` or `{ }`. */
function isEmptyObjectRest(rest: Buffer): boolean {
  for (const byte of rest) {
    if (byte === CLOSE_BRACE) return true;
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  }
  return false;
}
