/** The onAppend listener set both queues share; a throwing listener must not fail the append. */
import type { Logger } from '../log.ts';

export class AppendListeners {
  readonly #listeners = new Set<() => void>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  add(listener: () => void): () => void {
    // Wrapped so the same function can subscribe twice and unsubscribe each independently.
    const entry = () => listener();
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  notify(): void {
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (err) {
        this.#log.error({ err }, 'queue onAppend listener threw; the append itself succeeded');
      }
    }
  }
}
