/**
 * Everything the OPC UA driver needs, already resolved: no config parsing, no secrets lookups.
 */
import type { Logger } from 'pino';
import type { CompiledOpcUaGroup, CompiledOpcUaTag } from '../../mappings/opcua/compile.ts';
import type { SecurityModeName, SecurityPolicyName } from '../../mappings/opcua/device-schema.ts';

export interface OpcUaDriverOptions {
  readonly device: string;
  readonly endpoint: string;
  readonly securityMode: SecurityModeName;
  /** Ignored for securityMode None. */
  readonly securityPolicy: SecurityPolicyName;
  /** undefined = anonymous. Secrets are resolved and never logged. */
  readonly user?: OpcUaUserIdentity | undefined;
  readonly applicationUri: string;
  /** The gateway's state directory; the PKI lives in <stateDir>/opcua/pki. */
  readonly stateDir: string;
  readonly tags: readonly CompiledOpcUaTag[];
  readonly groups: readonly CompiledOpcUaGroup[];
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** Session timeout asked of the server (default max(10 s, 6 × timeoutMs)). */
  readonly sessionTimeoutMs?: number | undefined;
  readonly log: Logger;
  /** Reconnect backoff bounds (default 500 ms … 30 s). */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
}

export type OpcUaUserIdentity =
  | { readonly kind: 'username'; readonly username: string; readonly password: string }
  | {
      readonly kind: 'certificate';
      /** PEM files, absolute; read at every connect, so a renewed certificate needs no restart. */
      readonly certificateFile: string;
      readonly privateKeyFile: string;
      readonly passphrase?: string | undefined;
    };
