/// <reference lib="webworker" />
/**
 * The latents helper thread: encodes every other batch of a latents job with the sparse kernel while the
 * engine worker encodes the rest (see models/latent-helper.ts). It needs no tfjs.
 */
import { serveLatents } from '../models/latent-helper';

declare const self: DedicatedWorkerGlobalScope;

serveLatents(self);
