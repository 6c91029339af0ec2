/**
 * Starts components in dependency order and stops them in reverse, each stop guarded: a component whose
 * stop throws is reported and the others still stop (the queue is closed even when the publisher's stop
 * failed). A component whose start fails is stopped too, with everything before it, before the error is
 * rethrown, so a stop must cope with a start that got halfway.
 */
import type { Component } from './component.ts';

/** Told about each stop that failed; stopping goes on. */
export type StopErrorHandler = (component: string, error: unknown) => void;

export class Lifecycle {
  readonly #components: readonly Component[];
  readonly #onStopError: StopErrorHandler;
  /** Started (or starting) components, in start order. */
  #started: Component[] = [];

  constructor(components: readonly Component[], onStopError: StopErrorHandler) {
    this.#components = components;
    this.#onStopError = onStopError;
  }

  /** Starts each component after the one before it has started. */
  async start(): Promise<void> {
    for (const component of this.#components) {
      this.#started.push(component);
      try {
        await component.start();
      } catch (error) {
        await this.stop();
        throw error;
      }
    }
  }

  /** Stops what was started, last first; resolves when every stop has ended (never rejects). */
  async stop(): Promise<void> {
    const started = this.#started.splice(0).reverse();
    for (const component of started) {
      try {
        await component.stop();
      } catch (error) {
        this.#onStopError(component.name, error);
      }
    }
  }
}
