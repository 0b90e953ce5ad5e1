/**
 * Web Locks that say "a tab of this app is training run X, or has it queued". Another tab opened meanwhile
 * would otherwise find that run's checkpoint in IndexedDB and show it as interrupted (and offer to continue
 * it, so two tabs would train and save the same run). Where the API is missing (older browsers, Node) nothing
 * is locked and every saved run is shown.
 */
import type { RunId } from '../protocol';

const PREFIX = 'autoencoder-playground:run:';

function lockManager(): LockManager | null {
  return typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : null;
}

/** Takes run `runId`'s lock (ids are unique, so it is free) and returns what releases it. */
export function holdRunLock(runId: RunId): () => void {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  lockManager()
    ?.request(PREFIX + runId, () => held)
    .catch(() => undefined);
  return release;
}

/** Runs whose lock some tab of this origin holds now. */
export async function runsLockedNow(): Promise<Set<RunId>> {
  const state = await lockManager()
    ?.query()
    .catch(() => null);
  const names = (state?.held ?? []).map((lock) => lock.name ?? '');
  return new Set(names.filter((name) => name.startsWith(PREFIX)).map((name) => name.slice(PREFIX.length)));
}
