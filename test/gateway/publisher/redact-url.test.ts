/**
 * Passwords in URLs are masked wherever a URL is printed (issue 12, point 5): well-formed URLs, passwords
 * holding "@", typos that still carry a password, several URLs in one error text, and texts without any.
 */
import { describe, expect, it } from 'vitest';
import { redactUrls } from '../../../gateway/publisher/redact-url.ts';

describe('redactUrls', () => {
  it.each([
    ['mqtt://user:secret@broker:1883', 'mqtt://user:***@broker:1883'],
    ['mqtts://user:s%40cret@broker.example/path?q=1', 'mqtts://user:***@broker.example/path?q=1'],
    ['wss://user:p@ss@broker:443/mqtt', 'wss://user:***@broker:443/mqtt'],
    ['mqtt://:secret@broker', 'mqtt://:***@broker'],
    ['mqtt//user:secret@broker', 'mqtt//user:***@broker'],
    ['mqtt:/user:secret@broker', 'mqtt:/user:***@broker'],
    [
      'MQTT broker mqtt://a:one@h1 refused; then "mqtts://b:two@h2:8883" timed out',
      'MQTT broker mqtt://a:***@h1 refused; then "mqtts://b:***@h2:8883" timed out',
    ],
  ])('masks the password in %s', (text, expected) => {
    expect(redactUrls(text)).toBe(expected);
  });

  it.each([
    'mqtt://broker:1883',
    'mqtt://user@broker:1883',
    'connect ECONNREFUSED 127.0.0.1:1883',
    'no PUBACK from MQTT broker mqtts://broker.example:8883 within 10000 ms (seq 12); reconnecting',
  ])('leaves %s unchanged', (text) => {
    expect(redactUrls(text)).toBe(text);
  });
});
