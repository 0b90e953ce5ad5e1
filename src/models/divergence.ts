/**
 * Deciding that a training run has diverged, from its batch losses alone.
 *
 * A NaN or infinite loss is divergence by definition. But these models end in a sigmoid, so their MSE
 * is bounded by 1 and a far too large learning rate often saturates the units instead of overflowing:
 * the loss then jumps above where it started and stays there. A loss well above the first batch's,
 * after a few batches, is treated the same way — normal training never climbs back above its start.
 */

/** How far above the first batch's loss a later loss may go before the run counts as diverged. */
export const DIVERGENCE_FACTOR = 1.25;
/** Batches allowed before the rise test applies (the first steps can wobble). */
export const DIVERGENCE_GRACE_BATCHES = 3;

/** Why a run diverged, or null while it is healthy. */
export type Divergence = { kind: 'not-finite'; loss: number } | { kind: 'rose'; loss: number; firstLoss: number } | null;

/**
 * @param loss the latest batch loss
 * @param firstLoss the run's first batch loss
 * @param batchesSeen batches so far, this one included
 */
export function checkDivergence(loss: number, firstLoss: number, batchesSeen: number): Divergence {
  if (!Number.isFinite(loss)) return { kind: 'not-finite', loss };
  if (batchesSeen > DIVERGENCE_GRACE_BATCHES && loss > DIVERGENCE_FACTOR * firstLoss) return { kind: 'rose', loss, firstLoss };
  return null;
}

/** A sentence for people. */
export function describeDivergence(divergence: NonNullable<Divergence>): string {
  return divergence.kind === 'not-finite'
    ? `the loss became ${divergence.loss}`
    : `the loss rose to ${divergence.loss.toFixed(4)}, far above where it started (${divergence.firstLoss.toFixed(4)})`;
}
