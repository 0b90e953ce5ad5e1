/**
 * A Web Locks manager for tests in Node (which has none), as much of it as src/worker/engine/run-locks.ts uses:
 * exclusive locks, each held until its callback's promise settles; a request for a held lock waits its turn,
 * or with `ifAvailable` gets `null` at once; `query()` lists the held ones.
 */
type Callback<T> = (lock: { name: string } | null) => T | Promise<T>;

export class FakeLocks {
  readonly held = new Set<string>();
  /** per lock name, the requests waiting for it, first come first served */
  private readonly waiting = new Map<string, (() => void)[]>();

  request<T>(name: string, optionsOrCallback: { ifAvailable?: boolean } | Callback<T>, maybeCallback?: Callback<T>): Promise<T> {
    const options = typeof optionsOrCallback === 'function' ? {} : optionsOrCallback;
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback;
    if (!callback) throw new TypeError('no callback');
    if (this.held.has(name) && options.ifAvailable) return Promise.resolve().then(() => callback(null));
    return this.turn(name).then(async () => {
      try {
        return await callback({ name });
      } finally {
        this.held.delete(name);
        const next = this.waiting.get(name)?.shift();
        next?.();
      }
    });
  }

  /** Resolves once this request holds lock `name`. */
  private turn(name: string): Promise<void> {
    if (!this.held.has(name)) {
      this.held.add(name);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const queue = this.waiting.get(name) ?? [];
      queue.push(() => {
        this.held.add(name);
        resolve();
      });
      this.waiting.set(name, queue);
    });
  }

  async query(): Promise<{ held: { name: string; mode: 'exclusive' }[]; pending: [] }> {
    return { held: [...this.held].map((name) => ({ name, mode: 'exclusive' })), pending: [] };
  }
}
