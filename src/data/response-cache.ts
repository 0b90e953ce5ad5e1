/**
 * Downloads kept between visits in Cache Storage (this origin's own; nothing else can write it). It fails
 * soft: in a private window, with storage blocked or full, or after any other storage error, every call
 * still resolves and the page simply downloads again. Entries are trusted for nothing: the reader checks
 * each one against the manifest and deletes it when it does not match.
 */

/** The part of the Cache API used here, so tests can pass an in-memory fake. */
export type CacheLike = Pick<Cache, 'match' | 'put' | 'delete'>;

/** A Cache Storage cache that never throws; see the module comment. */
export class ResponseCache {
  private readonly cache: Promise<CacheLike | null>;

  /** @param open opens the underlying cache; a rejection disables caching for this instance */
  constructor(open: () => Promise<CacheLike>) {
    // Opened at once, so the cache is ready by the time the manifest has arrived.
    this.cache = Promise.resolve()
      .then(open)
      .catch(() => null);
  }

  /**
   * The origin's Cache Storage cache called `name`, or a disabled cache where there is none (an insecure
   * context, or a browser that hides it in private windows).
   */
  static named(name: string): ResponseCache {
    return new ResponseCache(() => {
      if (typeof caches === 'undefined') return Promise.reject(new Error('Cache Storage is not available here'));
      return caches.open(name);
    });
  }

  /** The stored response for `key`, or undefined when there is none or storage fails. */
  async match(key: string): Promise<Response | undefined> {
    const cache = await this.cache;
    if (!cache) return undefined;
    try {
      // Vary is ignored: the key is this page's own URL, whatever headers the server varied on.
      const response = await cache.match(key, { ignoreVary: true });
      return response?.ok ? response : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Stores `response` under `key`, reading its body to the end. Resolves to false when it could not (quota,
   * a body that failed mid-way: the Cache API then stores nothing).
   */
  async put(key: string, response: Response): Promise<boolean> {
    const cache = await this.cache;
    if (!cache) {
      await response.body?.cancel().catch(() => undefined);
      return false;
    }
    try {
      await cache.put(key, response);
      return true;
    } catch {
      await this.delete(key);
      return false;
    }
  }

  /** Removes the entry for `key`, if any. */
  async delete(key: string): Promise<void> {
    const cache = await this.cache;
    await cache?.delete(key).catch(() => false);
  }
}
