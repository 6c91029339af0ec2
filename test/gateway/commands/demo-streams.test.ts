/**
 * `fieldbridge demo` keeps its two outputs apart, as users see them: the messages it receives on stdout
 * (one `topic  payload` line each, then the summary), the gateway's logs on stderr — pretty ones too,
 * which pino-pretty used to write to stdout between the messages. Run as a child process.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../../bin/fieldbridge.mjs', import.meta.url));

function demo(...flags: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'demo', '--for', '1.5', ...flags], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

function expectOnlyMessagesOnStdout(stdout: string): void {
  const lines = stdout.trimEnd().split('\n');
  const summary = lines.pop();
  expect(summary).toMatch(/^demo: received \d+ messages on \d+ topics in \d+\.\d s$/);
  expect(lines.length).toBeGreaterThan(10);
  for (const line of lines) expect(line).toMatch(/^fieldbridge\/\S+ {2}\{.*\}$/);
}

describe.concurrent('fieldbridge demo output streams', () => {
  it('--pretty: messages on stdout, human-readable logs on stderr', async () => {
    const { code, stdout, stderr } = await demo('--pretty');
    expect(code).toBe(0);
    expectOnlyMessagesOnStdout(stdout);
    expect(stderr).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: demo: simulated PLC on 127\.0\.0\.1:\d+/m);
    expect(stderr).toMatch(/INFO: starting gateway with 2 devices/);
  });

  it('JSON logs (the default off a terminal): on stderr too', async () => {
    const { code, stdout, stderr } = await demo();
    expect(code).toBe(0);
    expectOnlyMessagesOnStdout(stdout);
    const logs = stderr
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string });
    expect(logs.some((l) => l.msg.startsWith('demo: simulated PLC on 127.0.0.1:'))).toBe(true);
  });
});
