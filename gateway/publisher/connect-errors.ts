/**
 * Turns connection failures into one sentence that names the broker URL and says what to fix. Node's
 * TLS error codes are precise but cryptic ("UNABLE_TO_VERIFY_LEAF_SIGNATURE"); an operator at a plant
 * needs "the broker certificate is not signed by a CA you trust: set mqtt.tls.ca".
 */

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

const CLIENT_CERT_REQUIRED = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  // TLS 1.2 brokers answer a missing client certificate with a plain handshake failure.
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
]);

const CLIENT_CERT_REJECTED = new Set([
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
]);

export interface ConnectErrorContext {
  readonly url: string;
  /** Whether a client certificate was configured (changes the advice for a handshake failure). */
  readonly hasClientCert: boolean;
}

export function describeConnectError(error: unknown, context: ConnectErrorContext): string {
  const err = error as { code?: unknown; message?: unknown; reason?: unknown };
  const code = typeof err.code === 'string' ? err.code : typeof err.code === 'number' ? err.code : undefined;
  const message = typeof err.message === 'string' ? err.message : String(error);
  const broker = `MQTT broker ${context.url}`;
  if (typeof code === 'string') {
    if (UNKNOWN_CA.has(code)) {
      return `TLS: the certificate of ${broker} is not signed by a trusted CA (${code}); set mqtt.tls.ca to the CA certificate (PEM) that issued the broker's certificate`;
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return `TLS: the certificate of ${broker} does not match its host name (${message}); connect with a host name listed in the certificate, or set mqtt.tls.servername to the name it was issued for`;
    }
    if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
      return `TLS: the certificate of ${broker} is outside its validity period (${code}); renew it, or check this gateway's clock`;
    }
    if (CLIENT_CERT_REQUIRED.has(code) && !context.hasClientCert) {
      return `TLS: ${broker} requires a client certificate (mutual TLS) and none is configured (${code}); set mqtt.tls.cert and mqtt.tls.key`;
    }
    if (CLIENT_CERT_REQUIRED.has(code) || CLIENT_CERT_REJECTED.has(code)) {
      return `TLS: ${broker} rejected this gateway's client certificate (${code}); check that mqtt.tls.cert is signed by a CA the broker trusts and matches mqtt.tls.key`;
    }
    if (code === 'ECONNREFUSED') {
      return `${broker} refused the connection (ECONNREFUSED); is the broker running, and are host and port right?`;
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return `${broker}: host name not found (${code}); check the URL and DNS`;
    }
    if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      return `${broker} is unreachable (${code}); check the network path and firewall`;
    }
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      return `${broker} closed the connection (${code})`;
    }
  }
  if (typeof code === 'number') {
    // CONNACK return codes (MQTT 3.1.1) and reason codes (MQTT 5).
    if (code === 4 || code === 134) {
      return `${broker} refused the login: bad user name or password; check mqtt.username and mqtt.password`;
    }
    if (code === 5 || code === 135) {
      return `${broker} refused the connection: not authorized; check the broker's access rules for this client id and user`;
    }
    return `${broker} refused the connection: ${message} (reason code ${code})`;
  }
  return `connection to ${broker} failed: ${message}${code === undefined ? '' : ` (${code})`}`;
}
