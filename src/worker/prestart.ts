/**
 * Imported by main.tsx before anything else: starts the engine worker and its MNIST download as early as
 * the page's script can (see `prestartEngine`).
 */
import { prestartEngine } from './client';

prestartEngine(document.baseURI);
