import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decodeErrMessage } from '../../../drivers/opcua/err-message.ts';
import { leafCertificate, thumbprint } from '../../../drivers/opcua/pki.ts';
import { errMessage } from './err-refusal-proxy.ts';

describe('decodeErrMessage', () => {
  it('reads the StatusCode and reason of an ERR message, also with an empty or null reason', () => {
    expect(decodeErrMessage(errMessage(0x801a0000, ''))).toEqual({ code: 0x801a0000, reason: '' });
    expect(decodeErrMessage(errMessage(0x80130000, 'certificate invalid'))).toEqual({
      code: 0x80130000,
      reason: 'certificate invalid',
    });
    const nullReason = errMessage(0x801a0000, '');
    nullReason.writeInt32LE(-1, 12);
    expect(decodeErrMessage(nullReason)).toEqual({ code: 0x801a0000, reason: '' });
  });

  it('keeps the code of a message whose reason length runs past the chunk', () => {
    const broken = errMessage(0x80820000, 'abc');
    broken.writeInt32LE(999, 12);
    expect(decodeErrMessage(broken)).toEqual({ code: 0x80820000, reason: '' });
  });

  it('ignores every other message type', () => {
    const msg = Buffer.from(errMessage(0x801a0000, ''));
    msg.write('MSG', 0, 'latin1');
    expect(decodeErrMessage(msg)).toBeUndefined();
    expect(decodeErrMessage(Buffer.from('ERRF'))).toBeUndefined();
  });
});

describe('thumbprint', () => {
  it('is the SHA-1 of the leaf certificate, also when the server sends a chain', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fieldbridge-thumbprint-'));
    const file = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-noenc',
      '-subj',
      '/CN=thumbprint',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      file,
      '-days',
      '1',
    ]);
    const pem = await readFile(file);
    await rm(dir, { recursive: true, force: true });
    const der = new X509Certificate(pem).raw;
    const expected = new X509Certificate(pem).fingerprint.replaceAll(':', '').toLowerCase();
    expect(thumbprint(der)).toBe(expected);
    expect(thumbprint(Buffer.concat([der, der]))).toBe(expected);
    expect(leafCertificate(Buffer.concat([der, der]))).toEqual(der);
  });
});
