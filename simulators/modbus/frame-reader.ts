/**
 * MBAP framing for the simulator (Modbus Messaging on TCP/IP Implementation Guide V1.0b, 3.1.3): a TCP
 * chunk may hold several requests or only part of one.
 */
const MBAP_HEADER = 6; // transaction id, protocol id, length; the unit id counts into `length`
/** Unit id + the largest PDU (253 bytes). */
const MAX_LENGTH_FIELD = 254;
/** Unit id + function code: nothing shorter is a request. */
const MIN_LENGTH_FIELD = 2;

/** `frame[offset]` is the first MBAP byte, `length` the MBAP length field. Return false to stop reading. */
export type FrameHandler = (frame: Buffer, offset: number, length: number) => boolean;

/**
 * Splits a byte stream into MBAP frames. Complete frames are handled in place in the received chunk;
 * only a frame split across chunks is copied, into one 260-byte buffer kept per connection.
 */
export class FrameReader {
  readonly #onFrame: FrameHandler;
  readonly #onInvalid: () => void;
  readonly #partial = Buffer.allocUnsafe(MBAP_HEADER + MAX_LENGTH_FIELD);
  #partialLength = 0;
  #done = false;

  /** `onFrame` returns false to stop reading; `onInvalid` is called for a length no request can have. */
  constructor(onFrame: FrameHandler, onInvalid: () => void) {
    this.#onFrame = onFrame;
    this.#onInvalid = onInvalid;
  }

  push(chunk: Buffer): void {
    if (this.#done) return;
    let offset = 0;
    while (this.#partialLength > 0 && offset < chunk.length) {
      const partial = this.#partial;
      const wanted = this.#partialLength < MBAP_HEADER ? MBAP_HEADER : MBAP_HEADER + partial.readUInt16BE(4);
      const n = Math.min(wanted - this.#partialLength, chunk.length - offset);
      chunk.copy(partial, this.#partialLength, offset, offset + n);
      this.#partialLength += n;
      offset += n;
      if (this.#partialLength === MBAP_HEADER && !this.#validLength(partial.readUInt16BE(4))) return;
      if (
        this.#partialLength > MBAP_HEADER &&
        this.#partialLength === MBAP_HEADER + partial.readUInt16BE(4)
      ) {
        this.#partialLength = 0;
        if (!this.#frame(partial, 0, partial.readUInt16BE(4))) return;
      }
    }
    while (chunk.length - offset >= MBAP_HEADER) {
      const length = chunk.readUInt16BE(offset + 4);
      if (!this.#validLength(length)) return;
      if (chunk.length - offset < MBAP_HEADER + length) break;
      if (!this.#frame(chunk, offset, length)) return;
      offset += MBAP_HEADER + length;
    }
    if (offset < chunk.length) {
      chunk.copy(this.#partial, 0, offset);
      this.#partialLength = chunk.length - offset;
    }
  }

  #frame(frame: Buffer, offset: number, length: number): boolean {
    // A non-zero protocol id is not Modbus: the implementation guide says to discard such frames.
    if (frame.readUInt16BE(offset + 2) !== 0) return true;
    if (this.#onFrame(frame, offset, length)) return true;
    this.#done = true;
    return false;
  }

  #validLength(length: number): boolean {
    if (length >= MIN_LENGTH_FIELD && length <= MAX_LENGTH_FIELD) return true;
    // The stream cannot be resynchronised after a bad length: real devices drop the connection too.
    this.#done = true;
    this.#onInvalid();
    return false;
  }
}
