/**
 * Commissioning commands (`read`, `probe`) poll once: start something that reports through a callback,
 * take its first report, stop it. A timeout names what did not answer.
 */
export async function firstEvent<T>(
  what: string,
  timeoutMs: number,
  start: (report: (value: T) => void) => Promise<{ stop(): Promise<void> }>,
): Promise<T> {
  let report: (value: T) => void = () => {};
  const first = new Promise<T>((resolveFirst) => {
    report = resolveFirst;
  });
  const running = await start((value) => report(value));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rejectTimeout) => {
    timer = setTimeout(
      () => rejectTimeout(new Error(`${what}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([first, timeout]);
  } finally {
    clearTimeout(timer);
    await running.stop();
  }
}

/** Left-aligned columns, for terminal tables. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
