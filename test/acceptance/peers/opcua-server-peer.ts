/**
 * The parent side of ./opcua-server-process.ts: starts the test OPC UA server as a child process and
 * drives it over its stdin/stdout lines.
 *
 *   const server = await startOpcUaServerProcess({ dir });            // dir: kept PKI (reuse it in a file)
 *   server.endpoint                                                   // opc.tcp://127.0.0.1:<port>
 *   await server.restart({ reorderNamespaces: true });                // same port and certificate
 *   await server.trustClientCertificate(pemFile);                     // with untrusting: true
 *   await server.stop();
 *
 * The variables are those of test/helpers/opcua-server.ts (TEST_VARIABLES under Objects/Plant in
 * PLANT_NS, Counter, …). `process.execPath` is the Node 24 vitest runs on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./opcua-server-process.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 30_000;

export interface OpcUaServerProcessOptions {
  /** Directory for the server's PKI; the same dir gives the same server certificate. */
  readonly dir: string;
  readonly reorderNamespaces?: boolean;
  /** Refuse client application certificates until trustClientCertificate (default false: accept all). */
  readonly untrusting?: boolean;
}

export interface OpcUaServerProcess {
  readonly pid: number;
  readonly endpoint: string;
  readonly port: number;
  /** Index of PLANT_NS in the running server's NamespaceArray (changes with a reordering restart). */
  readonly plantIndex: number;
  /** The server's own certificate (PEM). */
  readonly certificateFile: string;
  restart(options?: { readonly reorderNamespaces?: boolean }): Promise<void>;
  /** Trusts a client application certificate (PEM file), e.g. `<stateDir>/opcua/pki/own/certs/…`. */
  trustClientCertificate(pemFile: string): Promise<void>;
  /** SHA-1 fingerprints of the client certificates the server refused so far. */
  rejectedClientFingerprints(): Promise<string[]>;
  deleteVariable(name: string): Promise<void>;
  closeSessions(): Promise<void>;
  /** Shuts the server down and waits for the process to exit. */
  stop(): Promise<void>;
  /** stderr of the server process (node-opcua's output), for failure messages. */
  output(): string;
}

interface Reply {
  readonly reply?: string;
  readonly ok?: boolean;
  readonly error?: string;
  readonly ready?: { endpoint: string; port: number; plantIndex: number; certificateFile: string };
  readonly [field: string]: unknown;
}

export async function startOpcUaServerProcess(
  options: OpcUaServerProcessOptions,
): Promise<OpcUaServerProcess> {
  const args = [SCRIPT, '--dir', options.dir];
  if (options.reorderNamespaces === true) args.push('--reorder-namespaces');
  if (options.untrusting === true) args.push('--untrusting');
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    // Keep the tail only: node-opcua can be chatty over a long scenario.
    stderr = (stderr + chunk).slice(-20_000);
  });
  // Replies come in command order; the first line is "ready".
  const waiters: { resolve: (reply: Reply) => void; reject: (error: Error) => void }[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedAlready = false;
  void exited.then(() => {
    exitedAlready = true;
    for (const waiter of waiters.splice(0))
      waiter.reject(new Error(`OPC UA server process exited\n${stderr}`));
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on('line', (line) => {
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      stderr += `(stdout) ${line}\n`;
      return;
    }
    waiters.shift()?.resolve(reply);
  });
  const nextReply = (what: string, timeoutMs: number): Promise<Reply> =>
    new Promise((resolve, reject) => {
      if (exitedAlready) {
        reject(new Error(`OPC UA server process exited before ${what}\n${stderr}`));
        return;
      }
      const timer = setTimeout(() => {
        reject(new Error(`OPC UA server process: no answer to ${what} within ${timeoutMs} ms\n${stderr}`));
      }, timeoutMs);
      waiters.push({
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });

  const ready = (
    await nextReply('start', START_TIMEOUT_MS).catch(async (error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    })
  ).ready;
  if (ready === undefined) {
    child.kill('SIGKILL');
    throw new Error(`OPC UA server process: expected the ready line first\n${stderr}`);
  }
  let plantIndex = ready.plantIndex;

  const command = async (line: string): Promise<Reply> => {
    const answer = nextReply(`"${line}"`, COMMAND_TIMEOUT_MS);
    child.stdin?.write(`${line}\n`);
    const reply = await answer;
    if (reply.ok !== true) throw new Error(`OPC UA server process: "${line}" failed: ${reply.error}`);
    return reply;
  };

  return {
    pid: child.pid ?? -1,
    endpoint: ready.endpoint,
    port: ready.port,
    get plantIndex() {
      return plantIndex;
    },
    certificateFile: ready.certificateFile,
    async restart(restartOptions = {}) {
      const reply = await command(restartOptions.reorderNamespaces === true ? 'restart reorder' : 'restart');
      plantIndex = reply.plantIndex as number;
    },
    async trustClientCertificate(pemFile) {
      if (/\s/.test(pemFile)) throw new Error(`trustClientCertificate: no spaces in paths (${pemFile})`);
      await command(`trust-client ${pemFile}`);
    },
    async rejectedClientFingerprints() {
      return (await command('rejected-clients')).fingerprints as string[];
    },
    async deleteVariable(name) {
      await command(`delete ${name}`);
    },
    async closeSessions() {
      await command('close-sessions');
    },
    async stop() {
      if (exitedAlready) return;
      await command('stop').catch(() => child.kill('SIGKILL'));
      await exited;
    },
    output: () => stderr,
  };
}
