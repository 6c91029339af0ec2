import { describe, expect, it } from 'vitest';
import { describeConnectError } from '../../../gateway/publisher/connect-errors.ts';

const url = 'mqtts://broker.plant:8883';
const withCode = (code: string | number, message = 'boom') => Object.assign(new Error(message), { code });

describe('describeConnectError', () => {
  it.each([
    [
      'SELF_SIGNED_CERT_IN_CHAIN',
      false,
      'not signed by a trusted CA (SELF_SIGNED_CERT_IN_CHAIN); set mqtt.tls.ca',
    ],
    [
      'CERT_HAS_EXPIRED',
      false,
      "outside its validity period (CERT_HAS_EXPIRED); renew it, or check this gateway's clock",
    ],
    [
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      false,
      'requires a client certificate (mutual TLS) and none is configured',
    ],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', true, "rejected this gateway's client certificate"],
    [
      'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      true,
      "rejected this gateway's client certificate (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA)",
    ],
    ['ECONNREFUSED', false, 'refused the connection (ECONNREFUSED); is the broker running'],
    ['ENOTFOUND', false, 'host name not found (ENOTFOUND)'],
  ])('explains %s (client cert configured: %s)', (code, hasClientCert, expected) => {
    const text = describeConnectError(withCode(code), { url, hasClientCert });
    expect(text).toContain(`MQTT broker ${url}`);
    expect(text).toContain(expected);
  });

  it('explains CONNACK refusals for MQTT 3.1.1 and 5 alike', () => {
    for (const code of [4, 134]) {
      expect(describeConnectError(withCode(code), { url, hasClientCert: false })).toBe(
        `MQTT broker ${url} refused the login: bad user name or password; check mqtt.username and mqtt.password`,
      );
    }
    expect(describeConnectError(withCode(5), { url, hasClientCert: false })).toContain('not authorized');
  });

  it('falls back to the original message and code', () => {
    expect(describeConnectError(withCode('EWEIRD', 'odd failure'), { url, hasClientCert: false })).toBe(
      `connection to MQTT broker ${url} failed: odd failure (EWEIRD)`,
    );
  });
});
