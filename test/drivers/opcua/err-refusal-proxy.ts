/**
 * A TCP proxy in front of a real OPC UA server that refuses secured channels the way open62541 does
 * when it does not trust the client's certificate (issue 11): an ERR message with BadCertificateUntrusted
 * and an *empty* reason in answer to the OpenSecureChannel request, then the socket is closed.
 * open62541 is not packaged for this machine, and node-opcua servers answer a secured ServiceFault
 * instead; this reproduces the exact bytes of the other behaviour on the wire. Channels with security
 * policy None (the client's GetEndpoints) pass through untouched.
 *
 * Framing (OPC UA Part 6, 7.1.2): "OPN" + chunk type + UInt32 size, then SecureChannelId (UInt32) and the
 * SecurityPolicyUri (Int32 length + UTF-8). ERR: "ERRF" + UInt32 size + StatusCode (UInt32) + Reason
 * (String: Int32 length + UTF-8).
 */
import { createConnection, createServer, type Socket } from 'node:net';

const POLICY_NONE = 'http://opcfoundation.org/UA/SecurityPolicy#None';

export interface ErrRefusalProxy {
  readonly port: number;
  /** Secured OpenSecureChannel requests answered with ERR so far. */
  readonly refusals: number;
  close(): Promise<void>;
}

export function errMessage(statusCode: number, reason: string): Buffer {
  const text = Buffer.from(reason, 'utf8');
  const message = Buffer.alloc(16 + text.length);
  message.write('ERRF', 0, 'latin1');
  message.writeUInt32LE(message.length, 4);
  message.writeUInt32LE(statusCode >>> 0, 8);
  message.writeInt32LE(text.length, 12);
  text.copy(message, 16);
  return message;
}

function securityPolicyOf(opn: Buffer): string | undefined {
  if (opn.length < 16) return undefined;
  const length = opn.readInt32LE(12);
  return length < 0 ? undefined : opn.subarray(16, 16 + length).toString('utf8');
}

export async function startErrRefusalProxy(
  targetPort: number,
  statusCode: number,
  reason = '',
): Promise<ErrRefusalProxy> {
  const open = new Set<Socket>();
  let refusals = 0;
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {});
    }
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    // Client → server: split into messages to look at each OpenSecureChannel request.
    let pending = Buffer.alloc(0);
    client.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 8) {
        const size = pending.readUInt32LE(4);
        if (pending.length < size) return;
        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        if (message.toString('latin1', 0, 3) === 'OPN' && securityPolicyOf(message) !== POLICY_NONE) {
          refusals++;
          upstream.unpipe(client);
          upstream.destroy();
          client.end(errMessage(statusCode, reason));
          return;
        }
        upstream.write(message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    get refusals() {
      return refusals;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
