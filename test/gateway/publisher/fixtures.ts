/**
 * Shared pieces of the publisher tests: a captured logger, a MemoryQueue, numbered messages, and a
 * TCP proxy whose connections can be cut (to kill the publisher's socket without a DISCONNECT).
 */
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';
import { createLogger, type Logger } from '../../../gateway/log.ts';
import { MemoryQueue } from '../../../gateway/queue/memory-queue.ts';
import type { OutgoingMessage } from '../../../gateway/queue/queue.ts';

export interface CapturedLog {
  readonly log: Logger;
  /** Parsed JSON lines so far. */
  readonly lines: Array<{ level: number; msg: string } & Record<string, unknown>>;
  /** Lines at error level (50) whose msg contains `text`. */
  errors(text: string): number;
}

export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const log = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { log, lines, errors: (text) => lines.filter((l) => l.level === 50 && l.msg.includes(text)).length };
}

export async function openQueue(log: Logger): Promise<MemoryQueue> {
  const queue = new MemoryQueue({ log });
  await queue.open();
  return queue;
}

/** `count` JSON messages `{"n":i}` spread round-robin over `topics`. */
export function numbered(count: number, topics: readonly string[], from = 0): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (let i = from; i < from + count; i++) {
    out.push({
      topic: topics[i % topics.length]!,
      payload: Buffer.from(JSON.stringify({ n: i, value: i * 1.5 })),
      qos: 1,
      retain: false,
    });
  }
  return out;
}

export async function until(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface TcpProxy {
  readonly url: string;
  /** Destroys every proxied connection (both sides), as a network failure would. */
  cut(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((downstream) => {
    const upstream = createConnection({ port: targetPort, host: '127.0.0.1' });
    track(downstream);
    track(upstream);
    downstream.pipe(upstream).pipe(downstream);
    downstream.once('close', () => upstream.destroy());
    upstream.once('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
