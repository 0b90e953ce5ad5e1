/**
 * Run locks (src/worker/engine/run-locks.ts): what a tab holds for its queued and training runs, and what
 * another tab reads before it shows saved runs; nothing at all where Web Locks are missing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { holdRunLock, runsLockedNow } from '../../src/worker/engine/run-locks';
import { FakeLocks } from './fake-locks';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('run locks', () => {
  it('lists the runs whose lock is held, not other locks, until each is released', async () => {
    const locks = new FakeLocks();
    vi.stubGlobal('navigator', { locks });
    const releaseA = holdRunLock('s1-1');
    const releaseB = holdRunLock('s1-2');
    void locks.request('someone else', () => new Promise<void>(() => undefined));
    await expect(runsLockedNow()).resolves.toEqual(new Set(['s1-1', 's1-2']));
    releaseA();
    await vi.waitFor(() => expect(runsLockedNow()).resolves.toEqual(new Set(['s1-2'])));
    releaseB();
    await vi.waitFor(() => expect(runsLockedNow()).resolves.toEqual(new Set()));
  });

  it('without Web Locks, holds nothing and finds nothing held', async () => {
    vi.stubGlobal('navigator', {});
    const release = holdRunLock('s1-1');
    await expect(runsLockedNow()).resolves.toEqual(new Set());
    release();
  });
});
