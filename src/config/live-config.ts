import type { Config } from './schema.js';

export type ConfigChangeListener = (next: Config, previous: Config) => void;

/**
 * The configuration a running proxy works with. Hot reload replaces it as a whole; readers take
 * `current` when they start a unit of work (a connection, a scan), so a change never affects work
 * already under way and open sessions keep running.
 */
export class LiveConfig {
  private readonly listeners = new Set<ConfigChangeListener>();

  constructor(private value: Config) {}

  get current(): Config {
    return this.value;
  }

  replace(next: Config): void {
    const previous = this.value;
    this.value = next;
    for (const listener of this.listeners) listener(next, previous);
  }

  /** Returns a function that removes the listener. */
  onChange(listener: ConfigChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
