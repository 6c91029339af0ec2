/**
 * Serial line timing (Modbus over Serial Line V1.02, 2.5.1.1): a character is 11 bits on the wire in
 * every legal RTU setting (start + 8 data + parity + stop, or 2 stop bits without parity); frames are
 * separated by at least 3.5 character times, fixed at 1.750 ms above 19200 baud.
 */
export interface LineTiming {
  /** Milliseconds one character takes on the line. */
  readonly charTimeMs: number;
  /** Silence before each request (t3.5). */
  readonly interFrameDelayMs: number;
}

export interface LineSettingsForTiming {
  readonly baudRate: number;
  readonly dataBits: number;
  readonly parity: string;
  readonly stopBits: number;
}

export function lineTiming(settings: LineSettingsForTiming, interFrameDelayMs?: number): LineTiming {
  const bits = 1 + settings.dataBits + (settings.parity === 'none' ? 0 : 1) + settings.stopBits;
  const charTimeMs = (bits * 1000) / settings.baudRate;
  return {
    charTimeMs,
    interFrameDelayMs: interFrameDelayMs ?? (settings.baudRate > 19_200 ? 1.75 : 3.5 * charTimeMs),
  };
}

/**
 * "19200 8E1, inter-frame 1.82 ms": what every device on one line must agree on. The bus registry refuses
 * a device that asks for other settings, and `fieldbridge validate` compares the same text.
 */
export function describeSerialLine(settings: LineSettingsForTiming, interFrameDelayMs?: number): string {
  const timing = lineTiming(settings, interFrameDelayMs);
  const parity = settings.parity.charAt(0).toUpperCase();
  const delay = Math.round(timing.interFrameDelayMs * 100) / 100;
  return `${settings.baudRate} ${settings.dataBits}${parity}${settings.stopBits}, inter-frame ${delay} ms`;
}
