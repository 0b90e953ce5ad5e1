/**
 * The page's entry, kept tiny on purpose: it starts the engine worker and the MNIST download first, and
 * only then loads React and the app (src/ui/mount.tsx) as a chunk of their own. The worker thus starts
 * before the browser has compiled the app's 290 kB, and its start-up and download overlap that work
 * (measured: the download begins ~0.7 s sooner on the 2-core test machine).
 */
import { errorMessage } from './errors';
import './worker/prestart';

import('./ui/mount').catch((error: unknown) => {
  const root = document.getElementById('root');
  if (root) root.textContent = `The page could not load its script (${errorMessage(error)}). Please reload.`;
});
