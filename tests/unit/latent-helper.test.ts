import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analysis/rng';
import { buildAutoencoder, splitAutoencoder } from '../../src/models/architectures';
import { LatentHelper, serveLatents, type Port } from '../../src/models/latent-helper';
import { extractLatents, LATENT_BATCH } from '../../src/models/latents';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** MNIST-like images: pixels in [0, 1], three quarters exactly 0. */
function images(count: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: count * 784 }, () => (rng() < 0.75 ? 0 : rng()));
}

/** Index of the first value where a and b differ (bitwise, as Object.is), or −1: a fast check with a short message on failure (a diff of two 500,000-number arrays takes minutes). */
function firstDifference(a: Float32Array | undefined, b: Float32Array | undefined): number {
  if (!a || !b) return 0;
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

/** A helper served on the other end of a MessageChannel in this thread, as the worker would serve it. */
function helperPair(): LatentHelper {
  const channel = new MessageChannel();
  channels.push(channel);
  serveLatents(channel.port2 as unknown as Port);
  return new LatentHelper(channel.port1 as unknown as Port);
}

describe('latents on two threads', () => {
  // Two full pairs of batches and a last batch alone: the helper takes batches 2 and 4.
  const count = 4 * LATENT_BATCH + 7;
  const x = images(count, 1);

  it('gives the same codes as one thread, bit for bit, and says 2 threads encoded', async () => {
    const model = buildAutoencoder('dense', 5);
    const { encoder } = splitAutoencoder(model);
    const alone = await extractLatents(encoder, 'dense', x, count);
    const progress: number[] = [];
    const helped = await extractLatents(encoder, 'dense', x, count, { onProgress: (done) => progress.push(done) }, helperPair());
    if (!alone || !helped) throw new Error('stopped unexpectedly');
    expect(alone.threads).toBe(1);
    expect(helped.threads).toBe(2);
    expect(helped.method).toBe('sparse');
    expect(firstDifference(helped.latents, alone.latents)).toBe(-1);
    expect(progress).toEqual([2 * LATENT_BATCH, 4 * LATENT_BATCH, count]);
    model.dispose();
  });

  it('two jobs at once (a run’s figures during a latents job) each get their own model’s codes', async () => {
    const [first, second] = [buildAutoencoder('dense', 7), buildAutoencoder('dense', 8)];
    const [encoderA, encoderB] = [first, second].map((m) => splitAutoencoder(m).encoder);
    const soloA = await extractLatents(encoderA, 'dense', x, count);
    const soloB = await extractLatents(encoderB, 'dense', x, count);
    const helper = helperPair();
    const [a, b] = await Promise.all([extractLatents(encoderA, 'dense', x, count, {}, helper), extractLatents(encoderB, 'dense', x, count, {}, helper)]);
    expect(firstDifference(a?.latents, soloA?.latents)).toBe(-1);
    expect(firstDifference(b?.latents, soloB?.latents)).toBe(-1);
    // The helper served one of them; the other went without it.
    expect([a?.threads, b?.threads].sort()).toEqual([1, 2]);
    first.dispose();
    second.dispose();
  });

  it('encodes a failing helper’s batches itself: same codes, one thread', async () => {
    const model = buildAutoencoder('dense', 6);
    const { encoder } = splitAutoencoder(model);
    const alone = await extractLatents(encoder, 'dense', x, count);
    // A helper that answers every batch with a failure (as one without WebAssembly SIMD would).
    const channel = new MessageChannel();
    channels.push(channel);
    channel.port2.onmessage = (event: MessageEvent<{ type: string; id?: number }>) => {
      if (event.data.type === 'encode') channel.port2.postMessage({ type: 'failed', id: event.data.id, message: 'no SIMD here' });
    };
    const helper = new LatentHelper(channel.port1 as unknown as Port);
    const failing = await extractLatents(encoder, 'dense', x, count, {}, helper);
    expect(failing?.threads).toBe(1);
    expect(firstDifference(failing?.latents, alone?.latents)).toBe(-1);
    // Given up on: the next job does not wait for it again.
    await expect(helper.encode(new Float32Array(784), 1)).rejects.toThrow(/no SIMD here/);
    model.dispose();
  });

  it('rejects at once, now and later, once the helper’s script has failed', async () => {
    const port: Port = { postMessage: () => undefined, onmessage: null, onerror: null };
    const helper = new LatentHelper(port);
    const pending = helper.encode(new Float32Array(784), 1);
    // Node has no ErrorEvent; the helper only calls preventDefault on it.
    port.onerror?.(Object.assign(new Event('error', { cancelable: true }), { message: 'script failed' }) as ErrorEvent);
    await expect(pending).rejects.toThrow(/failed/);
    await expect(helper.encode(new Float32Array(784), 1)).rejects.toThrow(/failed/);
  });

  it('the helper answers a batch without a loaded plan with a failure, not silence', async () => {
    const helper = helperPair();
    await expect(helper.encode(new Float32Array(784), 1)).rejects.toThrow(/no encoder plan/);
  });
});
