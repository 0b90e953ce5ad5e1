/**
 * Giving the event loop a turn inside long worker loops (training batches, latent batches, t-SNE
 * iterations), so a Stop or Cancel message queued meanwhile runs.
 */
/**
 * Lets queued messages (e.g. the worker's Stop) run; a bare `await` would only drain microtasks. In a browser
 * a MessageChannel round trip is a full event-loop task, like `setTimeout(0)`, but without the ≥ 4 ms clamp
 * browsers put on nested timers (each batch's timer would be set from the previous one's callback): 4 ms a
 * batch was ~7% of a dense training step. Node drains a port's messages in one go, starving other work, so
 * there `setImmediate` gives the turn instead.
 */
const setImmediateIfAny = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
const yieldChannel = setImmediateIfAny || typeof MessageChannel === 'undefined' ? null : new MessageChannel();
const yieldWaiters: (() => void)[] = [];
if (yieldChannel) yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (setImmediateIfAny) setImmediateIfAny(resolve);
    else if (yieldChannel) {
      yieldWaiters.push(resolve);
      yieldChannel.port2.postMessage(null);
    } else setTimeout(resolve, 0);
  });
}

