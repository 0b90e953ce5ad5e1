/**
 * The run file's schema under fuzzing (fast-check) and its checksum: random mutations of a valid record
 * or file never throw anything but PersistenceError and never let an out-of-range value through; valid
 * records and files round-trip; the checksum is the SHA-256 of exactly the text before it; one changed
 * character is refused.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRAIN_LIMITS, validateTrainSettings } from '../../src/config/train-options';
import { ARCH_IDS } from '../../src/models/architectures';
import { PersistenceError } from '../../src/worker/engine/model-files';
import type { RunWeights } from '../../src/worker/engine/model-store';
import { CHANGED_OR_DAMAGED, exportRunFile, importRunFile, runFileChecksum } from '../../src/worker/engine/run-files';
import { MAX_STORED_BATCH_LOSSES, normalizeRunRecord } from '../../src/worker/engine/run-records';
import type { RunRecord } from '../../src/worker/protocol';
import { adamFor, expectSameArrays, runRecord, trainedModel, weightsOf } from './run-fixtures';
import { MNIST } from './state-fixtures';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every path to a value inside `value` (objects' keys and lists' indices), the root excluded. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const children: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : isObject(value) ? Object.entries(value) : [];
  return children.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

/** A deep copy of `root` with the value at `path` replaced (or removed when `replacement` is undefined). */
function withValueAt(root: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(root)) return root.map((v, i) => (i === head ? withValueAt(v, rest, replacement) : v)).filter((v) => v !== undefined);
  if (!isObject(root)) return root;
  const copy: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(root)) {
    const next = key === head ? withValueAt(v, rest, replacement) : v;
    if (next !== undefined) copy[key] = next;
  }
  return copy;
}

function valueAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, key) => (Array.isArray(v) || isObject(v) ? (v as Record<string | number, unknown>)[key] : undefined), root);
}

/** Values a damaged or hostile file might hold where a number, text or object belongs. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(1e300, -1e300, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -1, 0, 0.5, 2 ** 32, 2 ** 32 - 1, 201, 300_001, 65, -0.001, null, true, '', '1', [], {}),
  fc.double(),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.string({ maxLength: 20 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/**
 * The ranges of issue 19, written out here independently of the schema: what an accepted record must
 * satisfy whatever it was made from.
 */
function expectInRange(record: RunRecord): void {
  const keys = ['id', 'name', 'settings', 'dataset', 'backend', 'createdAt', 'endedAt', 'outcome', 'position', 'history', 'batchLosses', 'lossStride', 'initialTestMse', 'final', 'message', 'partial', 'resumable'];
  expect(Object.keys(record).sort()).toEqual([...keys].sort());
  const { settings, dataset, position } = record;
  expect(Object.keys(settings).sort()).toEqual(['arch', 'batchSize', 'epochs', 'latentDim', 'learningRate', 'noise', 'seed', 'trainSize']);
  expect([2, 3, 8, 16, 32, 64]).toContain(settings.latentDim);
  if (record.final) expect(record.final.deadUnits).toBeLessThanOrEqual(settings.latentDim);
  expect(validateTrainSettings(settings, dataset.trainCount)).toEqual({ ok: true, value: settings });
  expect(ARCH_IDS).toContain(settings.arch);
  expect(Number.isInteger(settings.epochs) && settings.epochs >= 1 && settings.epochs <= TRAIN_LIMITS.maxEpochs).toBe(true);
  expect(Number.isInteger(settings.seed) && settings.seed >= 0 && settings.seed < 2 ** 32).toBe(true);
  expect(Number.isFinite(settings.learningRate) && settings.learningRate > 0).toBe(true);
  const whole = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
  expect(whole(dataset.trainCount, 1, 300_000) && whole(dataset.testCount, 1, 300_000)).toBe(true);
  expect(/^[0-9a-f]{8}$/.test(dataset.fingerprint)).toBe(true);
  expect(whole(position.epochsCompleted, 0, 200) && whole(position.batch, 0, 300_000) && whole(position.batchesPerEpoch, 1, 300_000)).toBe(true);
  expect(whole(record.lossStride, 1, 2 ** 20)).toBe(true);
  // Losses: finite and ≥ 0, or NaN (a diverged loss); never infinite.
  const lossOk = (n: number) => Number.isNaN(n) || (Number.isFinite(n) && n >= 0);
  expect(record.history.length).toBeLessThanOrEqual(200);
  for (const entry of record.history) {
    expect(Object.keys(entry).sort()).toEqual(['epoch', 'samplesPerSec', 'testMse', 'trainLoss', 'trainSeconds']);
    expect(whole(entry.epoch, 1, 200) && lossOk(entry.trainLoss) && lossOk(entry.testMse)).toBe(true);
    expect(Number.isFinite(entry.trainSeconds) && entry.trainSeconds >= 0 && Number.isFinite(entry.samplesPerSec) && entry.samplesPerSec >= 0).toBe(true);
  }
  expect(record.batchLosses.length).toBeLessThanOrEqual(MAX_STORED_BATCH_LOSSES);
  expect(record.batchLosses.every((n) => typeof n === 'number' && lossOk(n))).toBe(true);
  expect(record.initialTestMse === null || (Number.isFinite(record.initialTestMse) && record.initialTestMse >= 0)).toBe(true);
  if (record.final) expect(lossOk(record.final.testMse) && whole(record.final.deadUnits, 0, 64)).toBe(true);
  if (record.partial) expect(lossOk(record.partial.weightedLoss) && Number.isFinite(record.partial.seconds) && record.partial.seconds >= 0).toBe(true);
  expect(record.message === null || (typeof record.message === 'string' && record.message.length <= 2000)).toBe(true);
  expect(typeof record.resumable).toBe('boolean');
  for (const text of [record.id, record.name, record.backend, record.createdAt, record.endedAt]) expect(typeof text).toBe('string');
}

/** Runs `work`; returns what it returned, or the PersistenceError it threw (anything else fails the test). */
function outcomeOf<T>(work: () => T): { ok: true; value: T } | { ok: false; error: PersistenceError } {
  try {
    return { ok: true, value: work() };
  } catch (error) {
    if (!(error instanceof PersistenceError)) throw new Error(`threw ${String(error)}, not a PersistenceError`);
    return { ok: false, error };
  }
}

const valid = runRecord('cnn_relu', {
  history: [
    { epoch: 1, trainLoss: 0.05, testMse: 0.04, trainSeconds: 12.5, samplesPerSec: 480 },
    { epoch: 2, trainLoss: Number.NaN, testMse: Number.NaN, trainSeconds: 11.75, samplesPerSec: 510.5 },
  ],
  batchLosses: [0.3, 0.2, Number.NaN],
  partial: { weightedLoss: 0.42, seconds: 3.5 },
  message: 'Stopped.',
});
/** The record as a file carries it (NaN as null). */
const validJson = JSON.parse(JSON.stringify(valid)) as Json;

describe('run record schema, fuzzed', () => {
  it('accepts the valid record, from storage (NaN) and from JSON (null)', () => {
    expect(normalizeRunRecord(valid)).toEqual(valid);
    expect(normalizeRunRecord(validJson)).toEqual(valid);
  });

  it('a value replaced anywhere: a PersistenceError or an in-range record, never another exception', () => {
    const paths = pathsOf(validJson);
    fc.assert(
      fc.property(fc.constantFrom(...paths), hostileValue, (path, replacement) => {
        const mutated = withValueAt(validJson, path, replacement);
        const result = outcomeOf(() => normalizeRunRecord(mutated));
        if (result.ok) {
          expectInRange(result.value);
          // What is accepted is stable: checking it again changes nothing.
          expect(normalizeRunRecord(result.value)).toEqual(result.value);
        } else {
          expect(result.error.message.length).toBeGreaterThan(10);
        }
      }),
      { numRuns: 1_500, seed: 19 },
    );
  });

  it('a key added to any object of the record is refused, by name', () => {
    const objectPaths: Path[] = [[], ...pathsOf(validJson).filter((p) => isObject(valueAt(validJson, p)))];
    const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['id', 'name', 'arch', 'epoch', 'seed', 'batch'].includes(k) && !/["\\]/.test(k));
    fc.assert(
      fc.property(fc.constantFrom(...objectPaths), key, hostileValue, (path, name, value) => {
        const target = valueAt(validJson, path);
        if (!isObject(target) || name in target) return;
        const mutated = withValueAt(validJson, path, { ...target, [name]: value });
        const result = outcomeOf(() => normalizeRunRecord(mutated));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.message).toContain(`has a field ${JSON.stringify(name)} this playground does not know`);
      }),
      { numRuns: 500, seed: 20 },
    );
  });

  it('a key removed: refused, unless it is one older records lacked (then its default)', () => {
    const optionalKeys = new Set(['final', 'message', 'partial', 'resumable']);
    for (const path of pathsOf(validJson).filter((p) => typeof p[p.length - 1] === 'string')) {
      const result = outcomeOf(() => normalizeRunRecord(withValueAt(validJson, path, undefined)));
      // Runs from before the code size and the input noise could be chosen lack them: 64, no noise.
      const optional = (path.length === 1 && optionalKeys.has(String(path[0]))) || ['settings.latentDim', 'settings.noise'].includes(path.join('.'));
      expect({ path: path.join('.'), accepted: result.ok }).toEqual({ path: path.join('.'), accepted: optional });
    }
  });

  const loss = fc.oneof(fc.double({ min: 0, max: 10, noNaN: true }), fc.constant(Number.NaN));
  const seconds = fc.double({ min: 0, max: 1e6, noNaN: true });
  const record: fc.Arbitrary<RunRecord> = fc
    .record({
      arch: fc.constantFrom(...ARCH_IDS),
      epochs: fc.integer({ min: 1, max: 200 }),
      trainCount: fc.integer({ min: 1, max: 300_000 }),
      trainFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      learningRate: fc.double({ min: 1e-6, max: 10, noNaN: true }),
      seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      batchSize: fc.integer({ min: 1, max: 4096 }),
      history: fc.array(fc.record({ trainLoss: loss, testMse: loss, trainSeconds: seconds, samplesPerSec: seconds }), { maxLength: 5 }),
      batchLosses: fc.array(loss, { maxLength: 50 }),
      initialTestMse: fc.option(seconds),
      final: fc.option(fc.record({ testMse: loss, deadUnits: fc.integer({ min: 0, max: 64 }) })),
      partial: fc.option(fc.record({ weightedLoss: loss, seconds })),
      message: fc.option(fc.string({ maxLength: 100 })),
      name: fc.string({ maxLength: 200 }),
      outcome: fc.constantFrom('completed' as const, 'stopped' as const, 'diverged' as const, 'failed' as const),
    })
    .map((r) => {
      const minTrain = Math.min(256, r.trainCount);
      const trainSize = Math.round(minTrain + r.trainFraction * (r.trainCount - minTrain));
      return runRecord(r.arch, {
        name: r.name,
        settings: { arch: r.arch, epochs: r.epochs, trainSize, learningRate: r.learningRate, seed: r.seed, batchSize: r.batchSize, latentDim: 64, noise: { kind: 'none' } },
        dataset: { ...MNIST, trainCount: r.trainCount },
        outcome: r.outcome,
        history: r.history.map((h, i) => ({ epoch: i + 1, ...h })),
        batchLosses: r.batchLosses,
        initialTestMse: r.initialTestMse,
        final: r.final,
        partial: r.partial,
        message: r.message,
        position: { epochsCompleted: r.history.length, batch: 0, batchesPerEpoch: Math.ceil(trainSize / r.batchSize) },
      });
    });

  it('valid records of every range round-trip through JSON unchanged', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(normalizeRunRecord(JSON.parse(JSON.stringify(r)))).toEqual(r);
      }),
      { numRuns: 300, seed: 21 },
    );
  });
});

describe('run file schema and checksum', () => {
  let run: RunWeights;
  let text: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    const model = trainedModel('cnn_relu', 8);
    const weights = weightsOf(model);
    model.dispose();
    run = { weights, optimizer: adamFor(weights, 24) };
    text = await (await exportRunFile(runRecord('cnn_relu'), run)).text();
  });
  const importing = (body: string) => importRunFile(new Blob([body]), MNIST, () => 'imported');

  it('the checksum is the SHA-256 of exactly the text before it, closed with }', async () => {
    const at = text.lastIndexOf(',"sha256":"');
    expect(text.slice(at)).toMatch(/^,"sha256":"[0-9a-f]{64}"\}$/);
    const content = `${text.slice(0, at)}}`;
    const sha256 = createHash('sha256').update(content, 'utf8').digest('hex');
    expect(text.slice(at)).toBe(`,"sha256":"${sha256}"}`);
    const { sha256: _claimed, ...parsed } = JSON.parse(text) as Record<string, unknown>;
    expect(await runFileChecksum(parsed)).toBe(sha256);
  });

  it('round-trips with the checksum: the same record, weights and Adam state, no notice', async () => {
    const loaded = await importing(text);
    expect(loaded.notice).toBeNull();
    expect(loaded.record).toEqual(runRecord('cnn_relu'));
    expectSameArrays(loaded.weights.weights, run.weights);
    expectSameArrays(loaded.weights.optimizer?.v ?? [], run.optimizer?.v ?? []);
  });

  it('one base64 character changed in the weights: "changed or damaged"', async () => {
    const parsed = JSON.parse(text) as { weights: string[] };
    // A character in the middle of latent/kernel (tensor 5), changed to another base64 character: the
    // file is still valid JSON, valid base64, the right length, and (almost surely) finite.
    const start = text.indexOf(parsed.weights[4]) + 1_000;
    const changed = `${text.slice(0, start)}${text[start] === 'A' ? 'B' : 'A'}${text.slice(start + 1)}`;
    await expect(importing(changed)).rejects.toThrow(new PersistenceError('corrupt', CHANGED_OR_DAMAGED));
    // Whitespace is not content: a pretty-printed file still matches.
    expect((await importing(JSON.stringify(JSON.parse(text), null, 2))).notice).toBeNull();
  });

  it('a damaged checksum field is told as such', async () => {
    await expect(importing(text.replace(/"sha256":"[0-9a-f]{64}"/, '"sha256":"xyz"'))).rejects.toThrow(
      "The run file is damaged: 'sha256' should be a SHA-256 checksum (64 hex digits).",
    );
    await expect(importing(text.replace(/"sha256":"[0-9a-f]{8}/, '"sha256":"00000000'))).rejects.toThrow(CHANGED_OR_DAMAGED);
  });

  it('any one character changed anywhere: refused with a PersistenceError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: text.length - 1 }), fc.constantFrom(...'0123456789abcdefAZ+/=",:{}[]ne. '), async (at, char) => {
        fc.pre(text[at] !== char);
        const error: unknown = await importing(`${text.slice(0, at)}${char}${text.slice(at + 1)}`).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(PersistenceError);
      }),
      { numRuns: 40, seed: 22 },
    );
  });

  it('a value replaced anywhere in a re-signed file: a PersistenceError or an in-range run, never another exception', async () => {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const { sha256: _old, ...content } = parsed;
    // Paths into the base64 text are whole strings; skip the lists' thousands of indices inside Adam's state.
    const paths = pathsOf(content).filter((p) => !(p[0] === 'record' && p[1] === 'batchLosses' && Number(p[2]) > 3));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), hostileValue, async (path, replacement) => {
        const mutated = withValueAt(content, path, replacement);
        const signed = JSON.stringify({ ...(mutated as object), sha256: await runFileChecksum(mutated as object) });
        const result = await importing(signed).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => {
            if (!(error instanceof PersistenceError)) throw new Error(`threw ${String(error)}, not a PersistenceError`);
            return { ok: false as const, error };
          },
        );
        if (result.ok) expectInRange(result.value.record);
      }),
      { numRuns: 60, seed: 23 },
    );
  });
});
