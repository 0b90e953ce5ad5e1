/**
 * The one throttle for progress messages: `due()` is true at most once per `intervalMs` (and always when
 * `force` is set, e.g. for the last step), so a worker posts often enough for a smooth bar and no more.
 */
export class Throttle {
  private last: number;

  /** @param startDue whether the first call is due at once (else the first interval runs from now) */
  constructor(
    private readonly intervalMs: number,
    startDue = true,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = startDue ? Number.NEGATIVE_INFINITY : now();
  }

  due(force = false): boolean {
    const now = this.now();
    if (!force && now - this.last < this.intervalMs) return false;
    this.last = now;
    return true;
  }
}
