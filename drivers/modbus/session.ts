/**
 * One Modbus client session on one link: frames requests (MBAP for Modbus TCP, RTU with CRC for serial
 * lines and serial servers), runs ONE transaction at a time, and matches each reply to its request so
 * strictly that a stale reply can never be taken for data:
 *
 * - TCP: our own 16-bit transaction id (modbus-serial's wraps at 256, so after 256 requests a late reply
 *   could match a new request). A frame with another id is counted and dropped; the unit id must match.
 * - RTU has no transaction id. Bytes that arrive while no request is waiting are dropped, and after a
 *   timeout or a malformed reply the line is quarantined: the next request goes out only after
 *   `lateReplyGuardMs` and a silent inter-frame gap, and anything received before it is discarded. A
 *   reply must come from the addressed unit with the request's function code, byte count and CRC.
 *
 * `exchange` never rejects: every outcome is an Exchange.
 */
import type { ByteLink } from './link.ts';
import { createCrc16 } from './protocol/crc16.ts';
import { encodeRequest, type ModbusRequest, replyLength } from './protocol/pdu.ts';

export type Framing = 'tcp' | 'rtu';

export type Exchange =
  | { readonly ok: true; readonly pdu: Buffer }
  | { readonly ok: false; readonly kind: 'timeout' | 'protocol' | 'disconnected'; readonly detail: string };

export interface SessionOptions {
  readonly framing: Framing;
  /** RTU: one character's time on the line; timeouts are stretched by the frames' transmission time. */
  readonly charTimeMs?: number;
  /** RTU: silence before each request (t3.5). */
  readonly interFrameDelayMs?: number;
  /** RTU: after a timeout, how long to wait (and discard whatever arrives) before the next request (default: that request's timeout). */
  readonly lateReplyGuardMs?: number;
  /** Monotonic clock in ms (default performance.now). */
  readonly now?: () => number;
}

interface Pending {
  readonly unitId: number;
  readonly request: ModbusRequest;
  readonly tid: number;
  readonly finish: (exchange: Exchange) => void;
}

const MBAP_HEADER = 7;

export class ModbusSession {
  readonly #options: SessionOptions;
  readonly #now: () => number;
  readonly #crc = createCrc16();
  #link: ByteLink | undefined;
  #pending: Pending | undefined;
  #rx: Buffer = Buffer.alloc(0);
  #tid = 0;
  #endedReason: string | undefined;
  /** RTU: no request before this time (late-reply quarantine). */
  #quietUntil = 0;
  /** RTU: time of the last byte seen or sent, for the inter-frame gap. */
  #lastActivity = Number.NEGATIVE_INFINITY;
  #sleepTimer: NodeJS.Timeout | undefined;
  #wakeSleeper: (() => void) | undefined;
  #stale = 0;
  #answered = false;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Replies (or bytes, on RTU) that matched no waiting request and were dropped. */
  get staleReplies(): number {
    return this.#stale;
  }

  get ended(): boolean {
    return this.#endedReason !== undefined;
  }

  /** Whether the peer has answered anything (an exception included) on this session. */
  get answered(): boolean {
    return this.#answered;
  }

  /** Why the session ended (undefined while it is alive). */
  get endReason(): string | undefined {
    return this.#endedReason;
  }

  attach(link: ByteLink): void {
    this.#link = link;
  }

  /** Feed every byte received on the link. */
  receive(chunk: Buffer): void {
    this.#lastActivity = this.#now();
    if (this.#options.framing === 'tcp') this.#receiveMbap(chunk);
    else this.#receiveRtu(chunk);
  }

  /** The link is gone: the request in flight fails as disconnected at once. */
  end(reason: string): void {
    if (this.#endedReason !== undefined) return;
    this.#endedReason = reason;
    clearTimeout(this.#sleepTimer);
    this.#wakeSleeper?.();
    this.#pending?.finish({ ok: false, kind: 'disconnected', detail: reason });
  }

  async exchange(unitId: number, request: ModbusRequest, timeoutMs: number): Promise<Exchange> {
    if (this.#pending !== undefined) throw new Error('ModbusSession: one transaction at a time');
    if (this.#options.framing === 'rtu') await this.#settle();
    const link = this.#link;
    if (this.#endedReason !== undefined || link === undefined) {
      return { ok: false, kind: 'disconnected', detail: this.#endedReason ?? 'not connected' };
    }
    const pdu = encodeRequest(request);
    this.#tid = (this.#tid + 1) & 0xffff;
    const tid = this.#tid;
    const frame = this.#options.framing === 'tcp' ? mbapFrame(tid, unitId, pdu) : this.#rtuFrame(unitId, pdu);
    // On a slow line, sending the request and receiving the reply take time of their own.
    const lineMs =
      this.#options.framing === 'rtu'
        ? (frame.length + 3 + replyLength(request)) * (this.#options.charTimeMs ?? 0)
        : 0;
    this.#rx = Buffer.alloc(0);
    return new Promise<Exchange>((resolve) => {
      const timer = setTimeout(() => {
        const got = this.#rx.length;
        finish({
          ok: false,
          kind: 'timeout',
          detail: `timeout after ${timeoutMs} ms${got > 0 ? ` (incomplete reply: ${got} bytes)` : ''}`,
        });
      }, timeoutMs + Math.ceil(lineMs));
      const finish = (exchange: Exchange) => {
        if (this.#pending?.tid !== tid) return;
        clearTimeout(timer);
        this.#pending = undefined;
        if (exchange.ok) this.#answered = true;
        if (!exchange.ok && this.#options.framing === 'rtu') this.#quarantine(exchange.kind, timeoutMs);
        resolve(exchange);
      };
      this.#pending = { unitId, request, tid, finish };
      this.#lastActivity = this.#now() + frame.length * (this.#options.charTimeMs ?? 0);
      link.write(frame);
    });
  }

  #receiveMbap(chunk: Buffer): void {
    let rx = this.#rx.length === 0 ? chunk : Buffer.concat([this.#rx, chunk]);
    while (rx.length >= MBAP_HEADER) {
      const length = rx.readUInt16BE(4);
      if (length < 2 || length > 254) {
        // The byte stream cannot be resynchronised: fail the request; the bus drops the connection.
        this.#rx = Buffer.alloc(0);
        this.#pending?.finish({ ok: false, kind: 'protocol', detail: `invalid MBAP length ${length}` });
        return;
      }
      if (rx.length < 6 + length) break;
      const frame = rx.subarray(0, 6 + length);
      rx = rx.subarray(6 + length);
      const pending = this.#pending;
      if (pending === undefined || frame.readUInt16BE(0) !== pending.tid) {
        this.#stale++;
        continue;
      }
      if (frame.readUInt16BE(2) !== 0) {
        pending.finish({ ok: false, kind: 'protocol', detail: `protocol id ${frame.readUInt16BE(2)}` });
      } else if (frame[6] !== pending.unitId) {
        pending.finish({
          ok: false,
          kind: 'protocol',
          detail: `reply from unit ${frame[6]}, expected ${pending.unitId}`,
        });
      } else {
        pending.finish({ ok: true, pdu: Buffer.from(frame.subarray(MBAP_HEADER)) });
      }
    }
    this.#rx = rx.length === 0 ? Buffer.alloc(0) : Buffer.from(rx);
  }

  #receiveRtu(chunk: Buffer): void {
    const pending = this.#pending;
    if (pending === undefined) {
      this.#stale += chunk.length;
      return;
    }
    this.#rx = Buffer.concat([this.#rx, chunk]);
    const problem = this.#checkRtu(pending, this.#rx);
    if (problem === undefined) return;
    if (typeof problem === 'string') pending.finish({ ok: false, kind: 'protocol', detail: problem });
    else pending.finish({ ok: true, pdu: problem });
  }

  /** A complete reply's PDU, a protocol problem, or undefined while more bytes are needed. */
  #checkRtu(pending: Pending, rx: Buffer): Buffer | string | undefined {
    if (rx[0] !== pending.unitId) return `reply from unit ${rx[0]}, expected ${pending.unitId}`;
    if (rx.length < 2) return undefined;
    const fc = rx[1]!;
    const expectedFc = pending.request.fc;
    let frameLength: number;
    if (fc === (expectedFc | 0x80)) frameLength = 5;
    else if (fc === expectedFc) frameLength = 3 + replyLength(pending.request);
    else return `function code ${fc}, expected ${expectedFc}`;
    if (fc <= 4 && rx.length >= 3 && rx[2] !== replyLength(pending.request) - 2) {
      return `byte count ${rx[2]}, expected ${replyLength(pending.request) - 2}`;
    }
    if (rx.length < frameLength) return undefined;
    if (this.#crc(rx, 0, frameLength - 2) !== rx.readUInt16LE(frameLength - 2)) return 'bad CRC';
    return Buffer.from(rx.subarray(1, frameLength - 2));
  }

  #rtuFrame(unitId: number, pdu: Buffer): Buffer {
    const frame = Buffer.alloc(pdu.length + 3);
    frame[0] = unitId;
    pdu.copy(frame, 1);
    frame.writeUInt16LE(this.#crc(frame, 0, pdu.length + 1), pdu.length + 1);
    return frame;
  }

  #quarantine(kind: 'timeout' | 'protocol' | 'disconnected', timeoutMs: number): void {
    const guard =
      kind === 'timeout'
        ? (this.#options.lateReplyGuardMs ?? timeoutMs)
        : // The rest of a malformed frame may still be on its way: wait for the line to go quiet.
          2 * (this.#options.interFrameDelayMs ?? 0);
    this.#quietUntil = Math.max(this.#quietUntil, this.#now() + guard);
  }

  /** RTU: waits for the quarantine and a silent inter-frame gap, then drops whatever was received. */
  async #settle(): Promise<void> {
    const gap = this.#options.interFrameDelayMs ?? 0;
    for (;;) {
      if (this.#endedReason !== undefined) return;
      const now = this.#now();
      const wait = Math.max(this.#quietUntil - now, this.#lastActivity + gap - now);
      if (wait <= 0) break;
      await new Promise<void>((resolve) => {
        this.#wakeSleeper = resolve;
        this.#sleepTimer = setTimeout(resolve, Math.ceil(wait));
      });
      this.#wakeSleeper = undefined;
      this.#sleepTimer = undefined;
    }
    this.#rx = Buffer.alloc(0);
  }
}

function mbapFrame(tid: number, unitId: number, pdu: Buffer): Buffer {
  const frame = Buffer.alloc(MBAP_HEADER + pdu.length);
  frame.writeUInt16BE(tid, 0);
  frame.writeUInt16BE(pdu.length + 1, 4);
  frame[6] = unitId;
  pdu.copy(frame, MBAP_HEADER);
  return frame;
}
