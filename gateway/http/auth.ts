/**
 * Optional auth for the HTTP server: a bearer token or basic auth, resolved from SecretRefs. Required
 * when the server listens on anything but loopback (the status page shows plant data and /metrics the
 * topology). Comparisons are constant-time so a token cannot be guessed byte by byte.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { HttpConfig } from '../config/schema.ts';
import { resolveSecret } from '../config/secrets.ts';

export interface HttpAuth {
  readonly token?: string;
  readonly basic?: { readonly username: string; readonly password: string };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The auth the config asks for; throws naming the http section when it is incomplete or missing. */
export function resolveHttpAuth(config: HttpConfig, host: string, env: NodeJS.ProcessEnv): HttpAuth {
  if ((config.username === undefined) !== (config.password === undefined)) {
    throw new Error('http: basic auth needs both "username" and "password"');
  }
  const auth: HttpAuth = {
    ...(config.token === undefined ? {} : { token: resolveSecret(config.token, 'HTTP token', env) }),
    ...(config.username === undefined || config.password === undefined
      ? {}
      : {
          basic: {
            username: config.username,
            password: resolveSecret(config.password, 'HTTP password', env),
          },
        }),
  };
  if (!isLoopback(host) && auth.token === undefined && auth.basic === undefined) {
    throw new Error(
      `http: listening on ${host} (not loopback) needs "token" or "username"+"password"; ` +
        'or keep the default host 127.0.0.1',
    );
  }
  return auth;
}

export function isAuthorized(request: IncomingMessage, auth: HttpAuth): boolean {
  if (auth.token === undefined && auth.basic === undefined) return true;
  const header = request.headers.authorization ?? '';
  const [scheme, credentials = ''] = header.split(' ', 2);
  if (auth.token !== undefined && scheme?.toLowerCase() === 'bearer') {
    return sameSecret(credentials, auth.token);
  }
  if (auth.basic !== undefined && scheme?.toLowerCase() === 'basic') {
    const expected = `${auth.basic.username}:${auth.basic.password}`;
    return sameSecret(Buffer.from(credentials, 'base64').toString('utf8'), expected);
  }
  return false;
}

function sameSecret(given: string, expected: string): boolean {
  // Hash first: timingSafeEqual needs equal lengths, and the length must not leak either.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
