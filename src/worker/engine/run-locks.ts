/**
 * Web Locks that say "a tab of this app is training run X, or has it queued". Another tab opened meanwhile
 * would otherwise find that run's checkpoint in IndexedDB and show it as interrupted (and offer to continue
 * it, so two tabs would train and save the same run). A tab that finds a run locked waits for the lock and
 * then shows the run as the other tab saved it. Where the API is missing (older browsers, Node) nothing is
 * locked, every saved run is shown and nothing waits.
 */
import type { RunId } from '../protocol';

const PREFIX = 'autoencoder-playground:run:';

function lockManager(): LockManager | null {
  return typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : null;
}

/** A lock's callback that holds it until the returned `release` is called. */
function heldUntilReleased(): { hold: () => Promise<void>; release: () => void } {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { hold: () => held, release };
}

/**
 * Takes a new run's lock (new ids are unique, so it is free): `release` lets it go, `acquired` settles once
 * it is held (at once where Web Locks are missing).
 */
export function holdRunLock(runId: RunId): { release: () => void; acquired: Promise<void> } {
  const { hold, release } = heldUntilReleased();
  const acquired = new Promise<void>((resolve) => {
    const locks = lockManager();
    if (!locks) return resolve();
    locks
      .request(PREFIX + runId, () => {
        resolve();
        return hold();
      })
      .catch(() => resolve());
  });
  return { release, acquired };
}

/**
 * Takes run `runId`'s lock if no tab holds it (an existing run, about to be continued): resolves to what
 * releases it, or to null when another tab is training the run or has it queued.
 */
export async function tryHoldRunLock(runId: RunId): Promise<(() => void) | null> {
  const locks = lockManager();
  if (!locks) return () => undefined;
  const { hold, release } = heldUntilReleased();
  const taken = new Promise<boolean>((resolve) => {
    locks
      .request(PREFIX + runId, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        return lock === null ? undefined : hold();
      })
      .catch(() => resolve(false));
  });
  return (await taken) ? release : null;
}

/**
 * Waits until no tab holds run `runId`'s lock, then runs `work` holding it (so this tab's own Continue waits
 * for it too) and resolves to its result. Without Web Locks it runs `work` at once.
 */
export async function whenRunFree<T>(runId: RunId, work: () => Promise<T>): Promise<T> {
  const locks = lockManager();
  return locks ? locks.request(PREFIX + runId, work) : work();
}

/** Runs whose lock some tab of this origin holds now. */
export async function runsLockedNow(): Promise<Set<RunId>> {
  const state = await lockManager()
    ?.query()
    .catch(() => null);
  const names = (state?.held ?? []).map((lock) => lock.name ?? '');
  return new Set(names.filter((name) => name.startsWith(PREFIX)).map((name) => name.slice(PREFIX.length)));
}

/** The channel on which a tab's engine tells the page's other tabs what it did to a run. */
export const TABS_CHANNEL = 'autoencoder-playground:runs';

/**
 * What goes over {@link TABS_CHANNEL}: this tab now holds run `runId`'s lock (it trains the run), renamed the
 * run, or deleted it (from storage too).
 */
export type TabMessage =
  | { type: 'training'; runId: RunId; name: string }
  | { type: 'renamed'; runId: RunId; name: string }
  | { type: 'deleted'; runId: RunId };

/** Checks a message from another tab (anything can arrive on a channel). */
export function isTabMessage(data: unknown): data is TabMessage {
  if (typeof data !== 'object' || data === null) return false;
  const message: Partial<Record<'type' | 'runId' | 'name', unknown>> = data;
  if (typeof message.runId !== 'string') return false;
  if (message.type === 'deleted') return true;
  return (message.type === 'training' || message.type === 'renamed') && typeof message.name === 'string';
}
