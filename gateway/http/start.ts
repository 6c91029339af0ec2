/**
 * Starts the HTTP server from the config's `http` section (defaults: 127.0.0.1:9810, on). Auth problems
 * throw (a misconfiguration must not expose plant data); a port that cannot be bound is logged and the
 * gateway runs on without HTTP, because collecting data matters more than showing it.
 */
import type { HttpConfig } from '../config/schema.ts';
import { resolveHttpAuth } from './auth.ts';
import { type StatusServer, type StatusServerOptions, startStatusServer } from './server.ts';

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 9810;

export async function startHttpFromConfig(
  config: HttpConfig | undefined,
  deps: Omit<StatusServerOptions, 'host' | 'port' | 'auth'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StatusServer | undefined> {
  if (config?.enabled === false) return undefined;
  const host = config?.host ?? DEFAULT_HTTP_HOST;
  const auth = resolveHttpAuth(config ?? {}, host, env);
  try {
    return await startStatusServer({ ...deps, host, port: config?.port ?? DEFAULT_HTTP_PORT, auth });
  } catch (error) {
    deps.log.error(
      { err: error },
      '%s: running without the status page and metrics',
      (error as Error).message,
    );
    return undefined;
  }
}
