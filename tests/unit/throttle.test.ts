import { describe, expect, it } from 'vitest';
import { Throttle } from '../../src/worker/throttle';

describe('Throttle', () => {
  it('is due at most once per interval, at once unless told otherwise, and always when forced', () => {
    let now = 1000;
    const clock = () => now;
    const throttle = new Throttle(100, true, clock);
    expect(throttle.due()).toBe(true);
    now += 50;
    expect(throttle.due()).toBe(false);
    expect(throttle.due(true)).toBe(true);
    now += 99;
    expect(throttle.due()).toBe(false);
    now += 1;
    expect(throttle.due()).toBe(true);
    const later = new Throttle(100, false, clock);
    expect(later.due()).toBe(false);
    now += 100;
    expect(later.due()).toBe(true);
  });
});
