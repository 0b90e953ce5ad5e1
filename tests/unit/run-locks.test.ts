/**
 * Run locks (src/worker/engine/run-locks.ts): what a tab holds for its queued and training runs, and what
 * another tab reads before it shows saved runs, waits for, or needs before it continues one; nothing at all
 * where Web Locks are missing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { holdRunLock, isTabMessage, runsLockedNow, tryHoldRunLock, whenRunFree } from '../../src/worker/engine/run-locks';
import { FakeLocks } from './fake-locks';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('run locks', () => {
  it('lists the runs whose lock is held, not other locks, until each is released', async () => {
    const locks = new FakeLocks();
    vi.stubGlobal('navigator', { locks });
    const { release: releaseA, acquired } = holdRunLock('s1-1');
    const { release: releaseB } = holdRunLock('s1-2');
    await acquired;
    void locks.request('someone else', () => new Promise<void>(() => undefined));
    await expect(runsLockedNow()).resolves.toEqual(new Set(['s1-1', 's1-2']));
    releaseA();
    await vi.waitFor(() => expect(runsLockedNow()).resolves.toEqual(new Set(['s1-2'])));
    releaseB();
    await vi.waitFor(() => expect(runsLockedNow()).resolves.toEqual(new Set()));
  });

  it('a run another tab holds cannot be taken to continue it; waiting for it runs once that tab lets go, holding the lock', async () => {
    const locks = new FakeLocks();
    vi.stubGlobal('navigator', { locks });
    const { release: otherTab, acquired } = holdRunLock('s1-1');
    await acquired;
    await expect(tryHoldRunLock('s1-1')).resolves.toBeNull();
    const order: string[] = [];
    const brought = whenRunFree('s1-1', async () => {
      order.push('brought back');
      // Held while the run is read back: a Continue here cannot start on the old copy meanwhile.
      await expect(tryHoldRunLock('s1-1')).resolves.toBeNull();
      return 42;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);
    order.push('released');
    otherTab();
    await expect(brought).resolves.toBe(42);
    expect(order).toEqual(['released', 'brought back']);
    const release = await tryHoldRunLock('s1-1');
    expect(release).toBeTypeOf('function');
    await expect(runsLockedNow()).resolves.toEqual(new Set(['s1-1']));
    release?.();
    await vi.waitFor(() => expect(runsLockedNow()).resolves.toEqual(new Set()));
  });

  it('takes from other tabs only the messages it knows', () => {
    expect(isTabMessage({ type: 'training', runId: 's1-1', name: 'Dense' })).toBe(true);
    expect(isTabMessage({ type: 'renamed', runId: 's1-1', name: 'mine' })).toBe(true);
    expect(isTabMessage({ type: 'deleted', runId: 's1-1' })).toBe(true);
    for (const bad of [null, 'deleted', { type: 'deleted' }, { type: 'renamed', runId: 's1-1' }, { type: 'training', runId: 3, name: 'x' }, { type: 'wiped', runId: 's1-1' }]) {
      expect(isTabMessage(bad)).toBe(false);
    }
  });

  it('without Web Locks, holds nothing, finds nothing held and waits for nothing', async () => {
    vi.stubGlobal('navigator', {});
    const { release, acquired } = holdRunLock('s1-1');
    await acquired;
    await expect(runsLockedNow()).resolves.toEqual(new Set());
    await expect(tryHoldRunLock('s1-1')).resolves.toBeTypeOf('function');
    await expect(whenRunFree('s1-1', async () => 'now')).resolves.toBe('now');
    release();
  });
});
