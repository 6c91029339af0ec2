/**
 * `fieldbridge opcua browse` and `fieldbridge opcua trust` (issue 5): commissioning helpers.
 *
 *   fieldbridge opcua browse <endpoint> [--root <node>] [--depth N] [--write <mapping.json>]
 *                            [--state-dir <dir>] [--security-mode M] [--security-policy P] [--user NAME]
 *     (the password for --user comes from $FIELDBRIDGE_OPCUA_PASSWORD, never from the command line)
 *   fieldbridge opcua trust <stateDir> --list
 *   fieldbridge opcua trust <stateDir> <fingerprint | rejected file name | certificate file>
 *
 * trust only touches files (no node-opcua import); browse loads node-opcua when it runs.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClientSession } from 'node-opcua-client';
import { describeConnectFailure } from '../../drivers/opcua/connect-failure.ts';
import { watchErrMessages } from '../../drivers/opcua/err-message.ts';
import { routeNodeOpcuaLog } from '../../drivers/opcua/library-log.ts';
import {
  type CertificateInfo,
  listCertificates,
  pkiDir,
  readCertificate,
  rejectedDir,
  trustedDir,
  trustRejected,
} from '../../drivers/opcua/pki.ts';
import { statusName } from '../../drivers/opcua/status.ts';
import { recordRefusals } from '../../drivers/opcua/untrusted.ts';
import { type BrowsedVariable, mappingFromBrowse } from '../../mappings/opcua/browse-mapping.ts';
import { SECURITY_MODES, SECURITY_POLICIES } from '../../mappings/opcua/device-schema.ts';
import { nodeIdForServer, parseNodeId } from '../../mappings/opcua/node-id.ts';

export interface CommandOutput {
  log(line: string): void;
  error(line: string): void;
}

const TRUST_USAGE = 'usage: fieldbridge opcua trust <stateDir> [--list | <fingerprint | file>]';
const BROWSE_USAGE =
  'usage: fieldbridge opcua browse <endpoint> [--root <node>] [--depth N] [--write <mapping.json>] [--state-dir <dir>] [--security-mode None|Sign|SignAndEncrypt] [--security-policy P] [--user NAME]';

function describeCert(c: CertificateInfo): string {
  return `  ${c.fingerprint}  ${c.subject}${c.applicationUri === undefined ? '' : `  ${c.applicationUri}`}  valid to ${c.validTo}\n    ${c.file}`;
}

export async function runOpcuaTrust(argv: readonly string[], out: CommandOutput): Promise<number> {
  let parsed: ReturnType<typeof parseTrust>;
  try {
    parsed = parseTrust(argv);
  } catch (error) {
    out.error(`${(error as Error).message}\n${TRUST_USAGE}`);
    return 2;
  }
  const [stateDir, which] = parsed.positionals;
  if (stateDir === undefined || (which === undefined) === (parsed.values.list !== true)) {
    out.error(TRUST_USAGE);
    return 2;
  }
  if (parsed.values.list === true) {
    const rejected = await listCertificates(rejectedDir(stateDir));
    const trusted = await listCertificates(trustedDir(stateDir));
    out.log(`Rejected (not trusted) server certificates in ${rejectedDir(stateDir)}: ${rejected.length}`);
    for (const cert of rejected) out.log(describeCert(cert));
    out.log(`Trusted certificates in ${trustedDir(stateDir)}: ${trusted.length}`);
    for (const cert of trusted) out.log(describeCert(cert));
    if (rejected.length > 0) out.log(`Trust one with: fieldbridge opcua trust ${stateDir} <fingerprint>`);
    return 0;
  }
  try {
    const trusted = await trustFileOrRejected(stateDir, which as string);
    out.log(`trusted ${trusted.subject} (SHA-1 ${trusted.fingerprint}): ${trusted.file}`);
    out.log('The gateway uses it at its next connection attempt; no restart needed.');
    return 0;
  } catch (error) {
    out.error(`fieldbridge opcua trust: ${(error as Error).message}`);
    return 1;
  }
}

/** A certificate file given by path is copied into trusted/; anything else names a rejected one. */
async function trustFileOrRejected(stateDir: string, which: string): Promise<CertificateInfo> {
  const inRejected = resolve(which).startsWith(resolve(rejectedDir(stateDir)));
  if (!inRejected && (which.includes('/') || /\.(pem|der|crt)$/i.test(which))) {
    let cert: CertificateInfo | undefined;
    try {
      cert = await readCertificate(which);
    } catch {
      // not a readable certificate file: fall through to the rejected folder
    }
    if (cert !== undefined) {
      await mkdir(trustedDir(stateDir), { recursive: true });
      const target = join(trustedDir(stateDir), basename(which));
      await copyFile(which, target);
      return { ...cert, file: target };
    }
  }
  return trustRejected(stateDir, inRejected ? basename(which) : which);
}

function parseTrust(argv: readonly string[]) {
  return parseArgs({ args: [...argv], allowPositionals: true, options: { list: { type: 'boolean' } } });
}

function parseBrowse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      root: { type: 'string' },
      depth: { type: 'string' },
      write: { type: 'string' },
      'state-dir': { type: 'string' },
      'security-mode': { type: 'string' },
      'security-policy': { type: 'string' },
      user: { type: 'string' },
    },
  });
}

/** What `opcua browse` was asked for, checked. */
interface BrowseRequest {
  readonly endpoint: string;
  readonly depth: number;
  readonly mode: (typeof SECURITY_MODES)[number];
  readonly policy: (typeof SECURITY_POLICIES)[number];
  readonly user: { readonly name: string; readonly password: string } | undefined;
  readonly stateDir: string;
  readonly rootText: string;
  readonly rootId: Exclude<ReturnType<typeof parseNodeId>, string>;
  readonly write: string | undefined;
}

/** The request, or the exit code (2) after saying what is wrong with the arguments. */
function browseRequest(
  argv: readonly string[],
  out: CommandOutput,
  env: NodeJS.ProcessEnv,
): BrowseRequest | 2 {
  let parsed: ReturnType<typeof parseBrowse>;
  try {
    parsed = parseBrowse(argv);
  } catch (error) {
    out.error(`${(error as Error).message}\n${BROWSE_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const endpoint = positionals[0];
  const depth = values.depth === undefined ? 3 : Number(values.depth);
  const mode = values['security-mode'] ?? 'None';
  const policy = values['security-policy'] ?? 'Basic256Sha256';
  if (endpoint === undefined || !endpoint.startsWith('opc.tcp://')) {
    out.error(`fieldbridge opcua browse: an endpoint like opc.tcp://host:4840 is needed\n${BROWSE_USAGE}`);
    return 2;
  }
  if (!Number.isInteger(depth) || depth < 1 || depth > 20) {
    out.error(`fieldbridge opcua browse: --depth must be an integer 1..20, not "${values.depth}"`);
    return 2;
  }
  if (
    !(SECURITY_MODES as readonly string[]).includes(mode) ||
    !(SECURITY_POLICIES as readonly string[]).includes(policy)
  ) {
    out.error(
      `fieldbridge opcua browse: --security-mode is one of ${SECURITY_MODES.join(', ')}; --security-policy one of ${SECURITY_POLICIES.join(', ')}`,
    );
    return 2;
  }
  const password = env.FIELDBRIDGE_OPCUA_PASSWORD;
  if (values.user !== undefined && password === undefined) {
    out.error('fieldbridge opcua browse: --user needs the password in $FIELDBRIDGE_OPCUA_PASSWORD');
    return 2;
  }
  const rootText = values.root ?? 'i=85'; // the Objects folder
  const rootId = parseNodeId(rootText);
  if (typeof rootId === 'string') {
    out.error(`fieldbridge opcua browse: --root: ${rootId}`);
    return 2;
  }
  return {
    endpoint,
    depth,
    mode: mode as (typeof SECURITY_MODES)[number],
    policy: policy as (typeof SECURITY_POLICIES)[number],
    user: values.user === undefined ? undefined : { name: values.user, password: password as string },
    stateDir: values['state-dir'] ?? env.STATE_DIRECTORY?.split(':')[0] ?? resolve('state'),
    rootText,
    rootId,
    write: values.write,
  };
}

export async function runOpcuaBrowse(
  argv: readonly string[],
  out: CommandOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const request = browseRequest(argv, out, env);
  if (typeof request === 'number') return request;
  const { endpoint, mode, policy, stateDir, user } = request;

  const opcua = await import('node-opcua-client');
  const { OPCUACertificateManager } = await import('node-opcua-certificate-manager');
  // Keep node-opcua's own chatter (certificate creation, dumps) out of the tree; its errors go to stderr.
  const ignore = () => {};
  routeNodeOpcuaLog(opcua, {
    warn: (_fields, message) => out.error(`node-opcua: ${message}`),
    debug: ignore,
    trace: ignore,
  });
  const certificateManager = new OPCUACertificateManager({
    rootFolder: pkiDir(stateDir),
    automaticallyAcceptUnknownCertificate: false,
    disableFileWatchers: true,
  });
  await certificateManager.initialize();
  const client = opcua.OPCUAClient.create({
    applicationName: 'fieldbridge',
    applicationUri: `urn:${hostname()}:fieldbridge`,
    clientCertificateManager: certificateManager,
    securityMode: opcua.MessageSecurityMode[mode],
    securityPolicy: mode === 'None' ? opcua.SecurityPolicy.None : opcua.SecurityPolicy[policy],
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0 },
  });
  // What the gateway's driver watches too: the server's ERR message, the server certificate refused.
  const errMessages = watchErrMessages(client);
  let refusedServerCertificate: Buffer | undefined;
  recordRefusals(certificateManager, (der) => {
    refusedServerCertificate = der;
  });
  let connected = false;
  try {
    await client.connect(endpoint);
    const session = await client.createSession(
      user === undefined
        ? { type: opcua.UserTokenType.Anonymous }
        : { type: opcua.UserTokenType.UserName, userName: user.name, password: user.password },
    );
    connected = true;
    try {
      return await browseAndWrite(opcua, session, request, out);
    } finally {
      await session.close().catch(() => {});
    }
  } catch (error) {
    if (connected) {
      out.error(`fieldbridge opcua browse: ${endpoint}: ${(error as Error).message}`);
      return 1;
    }
    // The same words as the gateway's log: which side refused which certificate, and what to do.
    const failure = await describeConnectFailure({
      error: error as Error,
      device: 'opcua browse',
      endpoint,
      stateDir,
      // Only the user name is named in a refusal; the password stays where it is.
      user: user === undefined ? undefined : { kind: 'username', username: user.name, password: '' },
      errMessage: errMessages.last,
      refusedServerCertificate,
      statusName: (code) => statusName(opcua, code),
    });
    out.error(`fieldbridge opcua browse: ${failure.reason}`);
    return 1;
  } finally {
    await client.disconnect().catch(() => {});
    await certificateManager.dispose().catch(() => {});
  }
}

type OpcUaClientModule = typeof import('node-opcua-client');

/** Prints the tree under the root and, with --write, the mapping of every variable in it. */
async function browseAndWrite(
  opcua: OpcUaClientModule,
  session: ClientSession,
  request: BrowseRequest,
  out: CommandOutput,
): Promise<number> {
  const { endpoint, rootText, rootId, depth } = request;
  const namespaceArray = await session.readNamespaceArray();
  // An nsu= root is looked up in this server's NamespaceArray, as the gateway does for tags.
  const root = nodeIdForServer(rootId, namespaceArray);
  if (root === undefined) {
    out.error(
      `fieldbridge opcua browse: --root ${rootText}: ${endpoint} has no namespace "${String(rootId.namespace)}" (it has: ${namespaceArray.join(', ')})`,
    );
    return 1;
  }
  const variables: BrowsedVariable[] = [];
  out.log(rootText);
  const walk = async (nodeId: string, path: string[], level: number, indent: string): Promise<void> => {
    const result = await session.browse({
      nodeId,
      browseDirection: opcua.BrowseDirection.Forward,
      referenceTypeId: 'HierarchicalReferences',
      includeSubtypes: true,
      nodeClassMask: opcua.NodeClassMask.Object | opcua.NodeClassMask.Variable,
      resultMask: 0x3f,
    });
    const references = result.references ?? [];
    for (const [i, ref] of references.entries()) {
      const last = i === references.length - 1;
      const id = ref.nodeId.toString();
      const name = ref.browseName.name ?? id;
      const kind = opcua.NodeClass[ref.nodeClass] ?? String(ref.nodeClass);
      out.log(`${indent}${last ? '└─' : '├─'} ${name}  (${id}, ${kind})`);
      if (ref.nodeClass === opcua.NodeClass.Variable) variables.push({ path: [...path, name], nodeId: id });
      if (level < depth && ref.nodeId.namespace !== 0) {
        await walk(id, [...path, name], level + 1, `${indent}${last ? '   ' : '│  '}`);
      }
    }
  };
  await walk(root, [], 1, '');
  if (request.write !== undefined) {
    const mapping = mappingFromBrowse(
      variables,
      namespaceArray,
      `Browsed from ${endpoint} under ${rootText}`,
    );
    await writeFile(request.write, `${JSON.stringify(mapping, null, 2)}\n`);
    out.log(`wrote ${variables.length} tags to ${request.write}`);
  }
  return 0;
}
