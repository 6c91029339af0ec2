/**
 * A real node-opcua server for OPC UA tests, on 127.0.0.1 and a free port.
 *
 *   const server = await startOpcUaServer({ dir });          // dir: a temp dir for its PKI
 *   server.endpoint                                           // opc.tcp://127.0.0.1:<port>
 *   await server.restart({ reorderNamespaces: true });       // same port, same certificate
 *   await server.stop();
 *
 * Variables of every supported built-in type live under Objects/Plant in the namespace PLANT_NS
 * (`nsu=${PLANT_NS};s=<name>`, see TEST_VARIABLES). `reorderNamespaces` registers a decoy namespace
 * before it, so the plant namespace moves from index 2 to 3: a client that keeps numeric indexes across a
 * reconnect reads the wrong nodes: missing ones, or the decoy's own `s=Double` (DECOY_DOUBLE, under
 * Objects/Decoy), which has the identifier of a plant variable and another value. `Counter` changes every 100 ms so a test can see values
 * resume. Users: OPERATOR (password OPERATOR_PASSWORD), and X.509 user certificates that are in
 * `userTrustedDir` (the user PKI's trusted/certs; `trustUserCertificate(pem)` puts one there). By default
 * the server accepts any client *application* certificate; with `trustClients: false` it refuses one it
 * has not been told to trust (`trustClientCertificate(pem)`), as real servers do, and keeps it in
 * its PKI's rejected/ folder.
 *
 *   await server.deleteVariable('Double');                   // removed at runtime, while clients watch it
 *   await server.closeSessions();                            // as if every session had timed out
 *
 * Server start costs a few seconds the first time (certificate generation): share one per test file.
 */
import { X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  DataType,
  LocalizedText,
  MessageSecurityMode,
  SecurityPolicy,
  Variant,
  VariantArrayType,
} from 'node-opcua-client';
import { nodesets } from 'node-opcua-nodesets';
import { OPCUAServer } from 'node-opcua-server';

export const PLANT_NS = 'urn:fieldbridge:test:plant';
export const DECOY_NS = 'urn:fieldbridge:test:decoy';
/** The value of the decoy namespace's `s=Double`, unlike Plant's Double (3.25). */
export const DECOY_DOUBLE = -1.5;
export const OPERATOR = 'operator';
export const OPERATOR_PASSWORD = 'op-secret-1';

export const TEST_DATE = new Date('2024-05-06T07:08:09.123Z');
/** 2^53 + 1 as node-opcua's [high, low] words. */
const BIG_INT64: [number, number] = [0x200000, 1];

/** name → [built-in type, value, array?]. */
export const TEST_VARIABLES: Readonly<Record<string, readonly [DataType, unknown, boolean?]>> = {
  Bool: [DataType.Boolean, true],
  SByte: [DataType.SByte, -12],
  Byte: [DataType.Byte, 200],
  Int16: [DataType.Int16, -30000],
  UInt16: [DataType.UInt16, 60000],
  Int32: [DataType.Int32, -2000000000],
  UInt32: [DataType.UInt32, 4000000000],
  Int64Small: [DataType.Int64, [0xffffffff, 0xfffffffe]],
  Int64Big: [DataType.Int64, BIG_INT64],
  UInt64Big: [DataType.UInt64, [0xffffffff, 0xffffffff]],
  Float: [DataType.Float, 1.5],
  Double: [DataType.Double, 3.25],
  DoubleNaN: [DataType.Double, Number.NaN],
  String: [DataType.String, 'héllo'],
  DateTime: [DataType.DateTime, TEST_DATE],
  ByteString: [DataType.ByteString, Buffer.from([1, 2, 3, 250])],
  LocalizedText: [DataType.LocalizedText, new LocalizedText({ text: 'Running', locale: 'en' })],
  DoubleArray: [DataType.Double, [1.5, 2.5, -3], true],
  Int32Array: [DataType.Int32, [1, -2, 3], true],
};

export interface OpcUaServerOptions {
  /** Directory for the server's PKI (kept across restarts, so its certificate stays the same). */
  readonly dir: string;
  readonly reorderNamespaces?: boolean;
  /**
   * Default true: every client application certificate is accepted. false: only those trusted with
   * trustClientCertificate (others are refused with BadSecurityChecksFailed on the wire).
   */
  readonly trustClients?: boolean;
}

export interface TestOpcUaServer {
  readonly endpoint: string;
  readonly port: number;
  /** Index of PLANT_NS in the running server's NamespaceArray. */
  readonly plantIndex: number;
  /** Where the server's own certificate (DER) is. */
  readonly certificateFile: string;
  /** Trusts a client *application* certificate (PEM file); kept across restarts. */
  trustClientCertificate(pemFile: string): Promise<void>;
  /** Client application certificates the server refused so far (its PKI's rejected/ folder), DER. */
  rejectedClientCertificates(): Promise<Buffer[]>;
  /** Trusts an X.509 *user* certificate (PEM file) for user authentication. */
  trustUserCertificate(pemFile: string): Promise<void>;
  /** Deletes Plant/<name> from the running server's address space. */
  deleteVariable(name: string): void;
  /** Closes every session the way a session timeout does: subscriptions are kept for a transfer. */
  closeSessions(): Promise<void>;
  restart(options?: { reorderNamespaces?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function pemToDer(file: string): Promise<Buffer> {
  return new X509Certificate(await readFile(file)).raw;
}

interface LaunchOptions {
  readonly dir: string;
  readonly port: number;
  readonly reorder: boolean;
  readonly trustClients: boolean;
  readonly trustedUsers: readonly string[];
}

async function launch(options: LaunchOptions): Promise<{ server: OPCUAServer; plantIndex: number }> {
  const { dir, port, reorder, trustedUsers } = options;
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: join(dir, 'server-pki'),
    automaticallyAcceptUnknownCertificate: options.trustClients,
  });
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: join(dir, 'user-pki'),
    automaticallyAcceptUnknownCertificate: false,
  });
  const server = new OPCUAServer({
    userCertificateManager,
    port,
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    nodeset_filename: [nodesets.standard],
    serverCertificateManager,
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [
      SecurityPolicy.None,
      SecurityPolicy.Basic256Sha256,
      SecurityPolicy.Aes128_Sha256_RsaOaep,
      SecurityPolicy.Aes256_Sha256_RsaPss,
    ],
    allowAnonymous: true,
    userManager: {
      isValidUser: (username: string, password: string) =>
        username === OPERATOR && password === OPERATOR_PASSWORD,
    },
    serverInfo: { applicationUri: 'urn:fieldbridge:test:server' },
    disableDiscovery: true,
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (addressSpace === null) throw new Error('test OPC UA server: no address space after initialize');
  const decoyFirst = reorder ? addressSpace.registerNamespace(DECOY_NS) : undefined;
  const plant = addressSpace.registerNamespace(PLANT_NS);
  const decoy = decoyFirst ?? addressSpace.registerNamespace(DECOY_NS);
  const decoyFolder = decoy.addFolder(addressSpace.rootFolder.objects, {
    browseName: 'Decoy',
    nodeId: 's=Decoy',
  });
  decoy.addVariable({
    componentOf: decoyFolder,
    browseName: 'Double',
    nodeId: 's=Double',
    dataType: DataType.Double,
    value: new Variant({ dataType: DataType.Double, value: DECOY_DOUBLE }),
  });
  const folder = plant.addFolder(addressSpace.rootFolder.objects, { browseName: 'Plant', nodeId: 's=Plant' });
  for (const [name, [dataType, value, array]] of Object.entries(TEST_VARIABLES)) {
    const variant = new Variant({
      dataType,
      arrayType: array === true ? VariantArrayType.Array : VariantArrayType.Scalar,
      value,
    });
    plant.addVariable({
      componentOf: folder,
      browseName: name,
      nodeId: `s=${name}`,
      dataType,
      ...(array === true && { valueRank: 1 }),
      value: variant,
    });
  }
  plant.addVariable({
    componentOf: folder,
    browseName: 'Counter',
    nodeId: 's=Counter',
    dataType: DataType.UInt32,
    minimumSamplingInterval: 50,
    value: {
      get: () => new Variant({ dataType: DataType.UInt32, value: Math.floor(Date.now() / 100) % 0xffffffff }),
    },
  });
  await server.start();
  // The user PKI is initialised by start(); trust what an earlier run (before a restart) trusted.
  for (const pem of trustedUsers) await userCertificateManager.trustCertificate(await pemToDer(pem));
  return { server, plantIndex: plant.index };
}

export async function startOpcUaServer(options: OpcUaServerOptions): Promise<TestOpcUaServer> {
  const port = await freePort();
  const trustedUsers: string[] = [];
  const trustClients = options.trustClients ?? true;
  const launchWith = (reorder: boolean) =>
    launch({ dir: options.dir, port, reorder, trustClients, trustedUsers });
  let running = await launchWith(options.reorderNamespaces === true);
  return {
    endpoint: `opc.tcp://127.0.0.1:${port}`,
    port,
    get plantIndex() {
      return running.plantIndex;
    },
    certificateFile: join(options.dir, 'server-pki', 'own', 'certs', 'certificate.pem'),
    async restart(restartOptions = {}) {
      await running.server.shutdown(0);
      running = await launchWith(restartOptions.reorderNamespaces === true);
    },
    async trustClientCertificate(pemFile) {
      // The trust list is files in the server's PKI: it survives restarts like a real server's.
      await running.server.serverCertificateManager.trustCertificate(await pemToDer(pemFile));
    },
    async rejectedClientCertificates() {
      const folder = join(options.dir, 'server-pki', 'rejected');
      const names = await readdir(folder).catch(() => [] as string[]);
      return Promise.all(names.filter((n) => n.endsWith('.pem')).map((n) => pemToDer(join(folder, n))));
    },
    async trustUserCertificate(pemFile) {
      trustedUsers.push(pemFile);
      await running.server.userCertificateManager.trustCertificate(await pemToDer(pemFile));
    },
    deleteVariable(name) {
      const addressSpace = running.server.engine.addressSpace;
      const node = addressSpace?.findNode(`ns=${running.plantIndex};s=${name}`);
      if (addressSpace === null || addressSpace === undefined || node === null || node === undefined) {
        throw new Error(`test OPC UA server: no variable Plant/${name}`);
      }
      addressSpace.deleteNode(node);
    },
    async closeSessions() {
      const engine = running.server.engine;
      for (const session of engine.getSessions()) {
        engine.closeSession(session.authenticationToken, false, 'Timeout');
      }
    },
    async stop() {
      await running.server.shutdown(0);
    },
  };
}
