/**
 * The session's user identity (issue 5): anonymous, user name + password, or an X.509 user certificate.
 * Certificate and key are read at every connect, so a renewed certificate needs no gateway restart, and
 * a missing or mismatched file is reported naming the device and the file.
 *
 * The key is handed to node-opcua as an opaque signer (its `keyOperations`), not as a PEM string: the
 * PEM form is deprecated in node-opcua 2.186, and this way the decrypted key never leaves a KeyObject.
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  createSign,
  type KeyObject,
  X509Certificate,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { UserIdentityInfo, UserIdentityInfoX509 } from 'node-opcua-client';
import type { OpcUaUserIdentity } from './options.ts';

type OpcUa = typeof import('node-opcua-client');
type KeyOperations = NonNullable<UserIdentityInfoX509['keyOperations']>;

export async function loadUserIdentity(
  opcua: OpcUa,
  device: string,
  user: OpcUaUserIdentity | undefined,
): Promise<UserIdentityInfo> {
  if (user === undefined) return { type: opcua.UserTokenType.Anonymous };
  if (user.kind === 'username') {
    return { type: opcua.UserTokenType.UserName, userName: user.username, password: user.password };
  }
  const certificate = await readUserCertificate(device, user.certificateFile);
  const key = await readUserKey(device, user.privateKeyFile, user.passphrase);
  if (!certificate.checkPrivateKey(key)) {
    throw new Error(
      `device "${device}": the private key ${user.privateKeyFile} does not belong to the user certificate ${user.certificateFile}`,
    );
  }
  return {
    type: opcua.UserTokenType.Certificate,
    certificateData: certificate.raw,
    keyOperations: keyOperations(key),
  };
}

async function readUserCertificate(device: string, file: string): Promise<X509Certificate> {
  try {
    return new X509Certificate(await readFile(file));
  } catch (error) {
    throw new Error(
      `device "${device}": cannot read the X.509 user certificate ${file} (expected a PEM certificate): ${(error as Error).message}`,
    );
  }
}

async function readUserKey(device: string, file: string, passphrase: string | undefined): Promise<KeyObject> {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: await readFile(file), ...(passphrase !== undefined && { passphrase }) });
  } catch (error) {
    const hint =
      passphrase === undefined ? ' (if it is encrypted, set "passphrase")' : ' (wrong passphrase?)';
    throw new Error(
      `device "${device}": cannot read the private key ${file} of the X.509 user identity${hint}: ${(error as Error).message}`,
    );
  }
  // OPC UA's user token signatures (Part 4, 7.36.5) are RSA in every current security policy.
  if (key.asymmetricKeyType !== 'rsa') {
    throw new Error(
      `device "${device}": the private key ${file} is ${String(key.asymmetricKeyType)}; OPC UA X.509 user identities need an RSA key`,
    );
  }
  return key;
}

/** node-opcua's signer interface over a local key: only sign is used for a user token. */
function keyOperations(key: KeyObject): KeyOperations {
  const modulusLength = (key.asymmetricKeyDetails?.modulusLength ?? 2048) / 8;
  const sign = (data: Uint8Array, params: { padding: string; hash: string }): Buffer => {
    const signer = createSign(params.hash === 'SHA-1' ? 'RSA-SHA1' : 'RSA-SHA256');
    signer.update(data);
    return params.padding === 'RSA-PSS'
      ? signer.sign({
          key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        })
      : signer.sign(key);
  };
  return {
    sign: async (data, params) => sign(data, params),
    signSync: sign,
    decryptBlock: async () => {
      throw new Error('an X.509 user identity key is only used to sign');
    },
    getKeyMetadata: async () => ({ keyType: 'RSA', modulusLength }),
    getPublicKey: async () => {
      const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
      return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
    },
  };
}

/**
 * Turns the server's refusal of the user identity into a message naming the device, the identity and
 * what to do; undefined when the error is about something else.
 */
export function describeUserRefused(
  error: Error,
  device: string,
  endpoint: string,
  user: OpcUaUserIdentity | undefined,
): string | undefined {
  if (!/BadIdentityToken|BadUserAccessDenied|BadUserSignatureInvalid/.test(error.message)) return undefined;
  const code = /Bad[A-Za-z]+/.exec(error.message)?.[0] ?? error.message;
  if (user === undefined) {
    return `device "${device}": ${endpoint} refused an anonymous session (${code}); configure "user"`;
  }
  if (user.kind === 'username') {
    return `device "${device}": ${endpoint} refused user "${user.username}" (${code}); check the user name and password`;
  }
  return `device "${device}": ${endpoint} refused the X.509 user certificate ${user.certificateFile} (${code}); the server's administrator must trust it for user authentication`;
}
