/**
 * Writes JSON text straight into bytes: a growing scratch buffer per message builder, filled with
 * pre-encoded pieces (keys, tag names, units) and with numbers written digit by digit, then copied out as
 * the payload. Building the same text as a string first made ~36 MB/s of short-lived strings at 200k
 * registers/s (rope pieces, number strings, the flattened string, then its UTF-8 copy): the largest source
 * of garbage in the gateway (bench/README.md).
 */

export class JsonBytes {
  #buf: Buffer;
  #pos = 0;

  constructor(initialBytes = 4096) {
    this.#buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Pre-encoded bytes (e.g. `"tank.level":{"value":`). */
  bytes(piece: Uint8Array): void {
    this.#room(piece.length);
    this.#buf.set(piece, this.#pos);
    this.#pos += piece.length;
  }

  /** Text that is already JSON (any Unicode: written as UTF-8). */
  text(json: string): void {
    this.#room(json.length * 3);
    this.#pos += this.#buf.write(json, this.#pos, 'utf8');
  }

  /** A number as JSON.stringify writes it: integers digit by digit, others via their shortest text. */
  number(value: number): void {
    if (!Number.isFinite(value)) {
      this.text('null');
      return;
    }
    if (!Number.isSafeInteger(value)) {
      this.text(`${value}`);
      return;
    }
    this.#room(17);
    const buf = this.#buf;
    let n = value;
    if (n < 0) {
      buf[this.#pos++] = 0x2d; // '-'
      n = -n;
    }
    // Digits from the last one backwards, in place: no string, no view object per number.
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    this.#pos += digits;
    for (let at = this.#pos - 1; at >= this.#pos - digits; at--) {
      buf[at] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    }
  }

  /** The bytes written since the last take, as a buffer of their own; the scratch is reused. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.#pos);
    this.#buf.copy(out, 0, 0, this.#pos);
    this.#pos = 0;
    return out;
  }

  #room(bytes: number): void {
    if (this.#pos + bytes <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + bytes));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }
}
