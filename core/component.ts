/**
 * The lifecycle every long-running part of the gateway has (the device pipelines' owner, the HTTP server,
 * sd_notify, config reload): started in dependency order, stopped in reverse (core/lifecycle.ts).
 */
export interface Component {
  /** For log lines: "http", "gateway", "sd_notify", … */
  readonly name: string;
  /** Resolves when the component is up; a rejection stops the start of everything after it. */
  start(): Promise<void>;
  /** Resolves when it holds no more resources; safe to call once after a successful start. */
  stop(): Promise<void>;
}
