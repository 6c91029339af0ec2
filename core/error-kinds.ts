/**
 * Sorts a bad sample's error into a few stable kinds for the `fieldbridge_device_errors_total{kind}`
 * metric. TagSample carries only the message and the protocol code, so the kind is read from those:
 * a protocol status code means the device answered with an error (Modbus exception, OPC UA bad status).
 */
import type { TagReading, TagSample } from './sample.ts';

export type ErrorKind = 'exception' | 'timeout' | 'connection' | 'decode' | 'other';

export function errorKind(sample: TagSample): ErrorKind {
  if (sample.code !== undefined) return 'exception';
  const text = sample.error ?? '';
  if (/time(d)?\s?out/i.test(text)) return 'timeout';
  if (/ECONN|EHOSTUNREACH|ENETUNREACH|EPIPE|not connected|disconnect|closed|refused|connect/i.test(text)) {
    return 'connection';
  }
  if (/decode|invalid|NaN|out of range/i.test(text)) return 'decode';
  return 'other';
}

/** The distinct error kinds of one poll's bad samples (a poll counts once per kind, not once per tag). */
export function pollErrorKinds(samples: TagReading): Set<ErrorKind> {
  const kinds = new Set<ErrorKind>();
  for (const sample of samples) if (sample?.quality === 'bad') kinds.add(errorKind(sample));
  return kinds;
}
