/**
 * GPU measurement kit: trains the three autoencoders on tfjs's WebGPU backend in Node (through Dawn) or on
 * tfjs's `cpu` backend, and prints one JSON report on stdout (see README, "Measuring on a GPU").
 * Bundled with everything it needs into .gpu-kit/kit.mjs by ./build.mjs; run by ./run-on-device.sh.
 *
 * It always prints a report: a setup failure (no adapter, no data) lands in `error` with the diagnostics
 * gathered so far, and the exit status is non-zero.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { findAdapter, useWebGpuBackend, type DawnReport } from './dawn';
import {
  loadIdxImages,
  measureArch,
  parseKitArgs,
  syntheticImages,
  type ArchReport,
  type DataInfo,
  type KitOptions,
} from './kit-core';

/** The kit's JSON output. */
interface KitReport {
  kit: 'autoencoder-gpu-kit';
  startedAt: string;
  node: string;
  tfjs: string;
  /** tfjs's backend after setup ('webgpu' or 'cpu'), null when setup failed. */
  backend: string | null;
  options: KitOptions;
  dawn: DawnReport | null;
  data: DataInfo | null;
  results: ArchReport[];
  totalSeconds: number;
  error: string | null;
}

/** Images generated when no IDX file is given or found: 40 batches' worth. */
const SYNTHETIC_IMAGES = 10_240;

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

async function main(): Promise<number> {
  const started = performance.now();
  const kitDir = dirname(fileURLToPath(import.meta.url));
  let options: KitOptions;
  try {
    options = parseKitArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${errorText(e)}\n`);
    return 2;
  }
  const report: KitReport = {
    kit: 'autoencoder-gpu-kit',
    startedAt: new Date().toISOString(),
    node: process.version,
    tfjs: tf.version.tfjs,
    backend: null,
    options,
    dawn: null,
    data: null,
    results: [],
    totalSeconds: 0,
    error: null,
  };
  /** Writes the report so far to --out (after every architecture, so a run killed by a timeout leaves one). */
  const save = (): string => {
    report.totalSeconds = (performance.now() - started) / 1000;
    const json = JSON.stringify(report, null, 2);
    if (options.outPath !== null) writeFileSync(options.outPath, `${json}\n`);
    return json;
  };

  try {
    const defaultData = join(kitDir, 'train-images-idx3-ubyte.gz');
    const dataPath = options.dataPath ?? (existsSync(defaultData) ? defaultData : null);
    const data = dataPath === null ? syntheticImages(SYNTHETIC_IMAGES, options.seed) : loadIdxImages(readFileSync(dataPath), dataPath);
    report.data = data.info;

    if (options.backend === 'webgpu') {
      const found = await findAdapter(options.dawnPath ?? join(kitDir, 'dawn.node'), options.dawnFlags);
      report.dawn = found.report;
      const { adapter, gpu } = found;
      if (adapter === null || gpu === null) {
        throw new Error('Dawn found no WebGPU adapter (see dawn.attempts and dawn.availableAdapters)');
      }
      // navigator.gpu (set there) keeps Dawn's instance alive while its device is in use.
      await useWebGpuBackend(adapter, gpu);
    } else if (!(await tf.setBackend('cpu'))) {
      throw new Error('tfjs could not initialise the cpu backend');
    }
    report.backend = tf.getBackend();
    save();
    process.stderr.write(`kit: backend ${report.backend}, data ${data.info.source} (${data.info.images} images)\n`);

    for (const arch of options.archs) {
      process.stderr.write(`kit: ${arch}…\n`);
      try {
        const result = await measureArch(arch, data.set, options);
        report.results.push(result);
        process.stderr.write(
          `kit: ${arch} ${result.samplesPerSec.toFixed(0)} samples/s, ${result.gflopsPerSec.toFixed(1)} GFLOP/s, ` +
            `loss ${result.lossStart.toFixed(4)} → ${result.lossEnd.toFixed(4)}` +
            (result.check ? `, max rel. diff vs cpu ${result.check.maxRelDiff.toExponential(2)}` : '') +
            '\n',
        );
      } catch (e) {
        // One architecture failing (e.g. a shader the driver rejects) should not cost the others' numbers.
        process.stderr.write(`kit: ${arch} failed: ${errorText(e)}\n`);
        report.error = `${report.error ?? ''}${arch}: ${errorText(e)}\n`;
      }
      save();
    }
  } catch (e) {
    report.error = errorText(e);
  }
  process.stdout.write(`${save()}\n`);
  return report.error === null ? 0 : 1;
}

// Dawn's instance keeps the event loop alive, so the kit exits explicitly.
main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`kit: ${errorText(e)}\n`);
    process.exit(1);
  },
);
