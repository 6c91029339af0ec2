/**
 * The ERR message a server sends before it closes a connection (OPC UA Part 6, 7.1.2.5): a StatusCode and
 * a reason. node-opcua's client drops it when it answers the OpenSecureChannel request (it has no request
 * id to attach it to), logs "Error message not specified" for an empty reason, and only reports "socket
 * has been disconnected by third party" (issue 11). open62541 refuses an untrusted client certificate
 * exactly that way: ERR BadCertificateUntrusted, empty reason. So the driver watches the raw chunks of
 * each secure channel of its client and keeps the last ERR, to name the status code itself.
 */

/** What the server said in its ERR message. */
export interface ServerErrorMessage {
  /** The StatusCode, unsigned. */
  readonly code: number;
  /** The reason text; '' when the server sent none. */
  readonly reason: string;
}

const HEADER = 8;

/** Decodes an ERR chunk ("ERRF", size, StatusCode, String reason); undefined for any other message. */
export function decodeErrMessage(chunk: Uint8Array): ServerErrorMessage | undefined {
  const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (bytes.length < HEADER + 4 || bytes.toString('latin1', 0, 3) !== 'ERR') return undefined;
  const code = bytes.readUInt32LE(HEADER);
  let reason = '';
  if (bytes.length >= HEADER + 8) {
    const length = bytes.readInt32LE(HEADER + 4);
    // -1 is the null string; a length past the chunk is a broken message: keep the code anyway.
    if (length > 0 && HEADER + 8 + length <= bytes.length) {
      reason = bytes.toString('utf8', HEADER + 8, HEADER + 8 + length);
    }
  }
  return { code, reason };
}

/** The part of node-opcua's client this needs: it announces each secure channel it creates. */
interface ChunkSource {
  on(event: 'receive_chunk', listener: (chunk: Buffer) => void): unknown;
}
interface ClientLike {
  on(event: 'secure_channel_created', listener: (channel: ChunkSource) => void): unknown;
}

export interface ErrMessageWatch {
  /** The last ERR message received on any secure channel of the client, if any. */
  readonly last: ServerErrorMessage | undefined;
}

/**
 * Watches every secure channel the client creates (the first one and those of its reconnections).
 * Only the chunk's first bytes are looked at, so the cost per received chunk is a three-byte compare.
 */
export function watchErrMessages(client: ClientLike): ErrMessageWatch {
  let last: ServerErrorMessage | undefined;
  client.on('secure_channel_created', (channel) => {
    channel.on('receive_chunk', (chunk) => {
      if (chunk[0] !== 0x45 /* E */) return;
      last = decodeErrMessage(chunk) ?? last;
    });
  });
  return {
    get last() {
      return last;
    },
  };
}
