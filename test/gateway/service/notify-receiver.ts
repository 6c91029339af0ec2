/**
 * A stand-in for systemd's notification socket: python3 binds a Unix datagram socket (Node cannot) and
 * prints every datagram as one JSON line. Descriptors passed with BARRIER=1 are closed at once, which
 * is how the manager answers a barrier, so `systemd-notify` returns immediately.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const RECEIVER = `
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("LISTENING"), flush=True)
while True:
    data, ancdata, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(0, len(payload) - len(payload) % 4, 4):
                os.close(int.from_bytes(payload[i:i + 4], sys.byteorder))
    print(json.dumps(data.decode()), flush=True)
`;

export interface NotifyReceiver {
  readonly socketPath: string;
  /** Datagrams received, BARRIER=1 ones left out. */
  readonly messages: string[];
  waitFor(predicate: (messages: readonly string[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startNotifyReceiver(): Promise<NotifyReceiver> {
  const dir = await mkdtemp(join(tmpdir(), 'fb-notify-'));
  const socketPath = join(dir, 'notify.sock');
  const child: ChildProcess = spawn('python3', ['-c', RECEIVER, socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const messages: string[] = [];
  const waiters = new Set<() => void>();
  let listening: () => void = () => {};
  const ready = new Promise<void>((resolveReady) => {
    listening = resolveReady;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as string;
    if (message === 'LISTENING') return listening();
    if (message === 'BARRIER=1') return;
    messages.push(message);
    for (const wake of waiters) wake();
  });
  await ready;
  return {
    socketPath,
    messages,
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolveWait, rejectWait) => {
        const check = () => {
          if (!predicate(messages)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolveWait();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          rejectWait(new Error(`notification not received; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      child.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
