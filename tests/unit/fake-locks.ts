/**
 * A Web Locks manager for tests in Node (which has none), as much of it as src/worker/engine/run-locks.ts uses:
 * exclusive locks, each held until its callback's promise settles, and `query()` listing the held ones.
 */
export class FakeLocks {
  readonly held = new Set<string>();

  async request(name: string, callback: () => Promise<void>): Promise<void> {
    if (this.held.has(name)) throw new Error(`${name} is held already (run ids are unique)`);
    this.held.add(name);
    try {
      await callback();
    } finally {
      this.held.delete(name);
    }
  }

  async query(): Promise<{ held: { name: string; mode: 'exclusive' }[]; pending: [] }> {
    return { held: [...this.held].map((name) => ({ name, mode: 'exclusive' })), pending: [] };
  }
}
