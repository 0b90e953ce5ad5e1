#!/usr/bin/env bash
# Fidelity runs on a machine with an NVIDIA GPU: the reference schedule (20 epochs × 60,000 images) with the
# app's own model code on tfjs WebGPU through Dawn, and the same models in PyTorch on CUDA, for a list of
# (architecture, code size, seed). tfjs's WebGPU kernels leave most of a large GPU idle (about a tenth of
# PyTorch's throughput on an H200), so the tfjs runs go in parallel, one node process each; PyTorch's run
# one after another beside them. Timings from this script are not speed figures (the runs share the GPU);
# the test MSEs are what it is for.
#
#   OUT=/some/dir JOBS="dense:2:0 cnn_elu:64:3" bash scripts/gpu-kit/fidelity-on-device.sh
#
# JOBS: space-separated arch:codeSize:seed. Writes $OUT/env.txt, one tfjs-ARCH-DIM-SEED.json (+ .log) per job,
# torch-DIM.json (+ .log) per code size and summary.txt, then packs them all into $OUT/fidelity.tgz (a device
# machine returns only a few files per command: leave $OUT with summary.txt, env.txt and the archive). Knobs: FID_TIMEOUT (s per tfjs job, default 420), TORCH_TIMEOUT
# (s for all PyTorch runs, default 300), EPOCHS (default 20), SKIP_TORCH=1.
set -u
# shellcheck source=device-setup.sh
. "$(dirname "$0")/device-setup.sh"

JOBS=${JOBS:-"dense:2:0 cnn_relu:2:0 cnn_elu:2:0"}
FID_TIMEOUT=${FID_TIMEOUT:-420}
TORCH_TIMEOUT=${TORCH_TIMEOUT:-300}
EPOCHS=${EPOCHS:-20}
pids=()
if [ "$node_ok" = 1 ] && [ -f "$KIT/fidelity.mjs" ]; then
  for job in $JOBS; do
    IFS=: read -r arch dim seed <<<"$job"
    name="tfjs-$arch-$dim-$seed"
    timeout -k 10 "$FID_TIMEOUT" "$NODE" "$KIT/fidelity.mjs" --backend webgpu --dawn "$WORK/dawn.node" \
      --archs "$arch" --seeds "$seed" --latent-dim "$dim" --epochs "$EPOCHS" --out "$OUT/$name.json" \
      >/dev/null 2>"$OUT/$name.log" &
    pids+=($!)
    say "started $name (pid $!)"
  done
else
  say "no node or no $KIT/fidelity.mjs: tfjs runs skipped"
fi

if [ "${SKIP_TORCH:-0}" != 1 ] && have python3; then
  if [ "$ORIG_LD_LIBRARY_PATH" = __unset__ ]; then unset LD_LIBRARY_PATH; else export LD_LIBRARY_PATH=$ORIG_LD_LIBRARY_PATH; fi
  # One PyTorch process per code size (its --archs × --seeds grid), one after another.
  for dim in $(for job in $JOBS; do echo "$job" | cut -d: -f2; done | sort -un); do
    archs=$(for job in $JOBS; do IFS=: read -r a d s <<<"$job"; [ "$d" = "$dim" ] && echo "$a"; done | sort -u | paste -sd,)
    seeds=$(for job in $JOBS; do IFS=: read -r a d s <<<"$job"; [ "$d" = "$dim" ] && echo "$s"; done | sort -un | paste -sd,)
    say "torch fidelity: code size $dim, archs $archs, seeds $seeds"
    PYTHONUNBUFFERED=1 timeout -k 10 "$TORCH_TIMEOUT" python3 scripts/gpu-kit/torch_reference.py --fidelity \
      --archs "$archs" --seeds "$seeds" --latent-dim "$dim" --epochs "$EPOCHS" \
      --data "$KIT/train-full-images-idx3-ubyte.gz" --test-data "$KIT/t10k-images-idx3-ubyte.gz" \
      --out "$OUT/torch-$dim.json" >/dev/null 2>"$OUT/torch-$dim.log"
    say "torch (code size $dim) exited with $?"
  done
fi

for pid in "${pids[@]}"; do
  wait "$pid"
  say "tfjs job $pid exited with $?"
done

echo "=== summary ($(($(date +%s) - started)) s) ===" | tee "$OUT/summary.txt"
python3 - "$OUT" <<'EOF' | tee -a "$OUT/summary.txt"
import glob, json, os, sys
out = sys.argv[1]
for path in sorted(glob.glob(os.path.join(out, 'tfjs-*.json'))):
    d = json.load(open(path))
    for r in d.get('runs', []):
        last = r['testMsePerEpoch'][-1] if r.get('testMsePerEpoch') else None
        print(f"tfjs  {r['arch']:9} code {r.get('latentDim', '?'):>2} seed {r['seed']}: test MSE {last} after {len(r.get('testMsePerEpoch', []))} epochs, {r.get('seconds', 0):.0f} s {r.get('error') or ''}")
    if d.get('error'):
        print(f"tfjs  {os.path.basename(path)}: {d['error']}")
for path in sorted(glob.glob(os.path.join(out, 'torch-*.json'))):
    d = json.load(open(path))
    for r in d.get('fidelity') or []:
        mse = r.get('testMsePerEpoch') or r.get('test_mse_per_epoch') or []
        print(f"torch {r.get('arch')!s:9} code {r.get('latentDim', '?'):>2} seed {r.get('seed')}: test MSE {mse[-1] if mse else None}, {r.get('seconds', 0):.0f} s")
    if d.get('error'):
        print(f"torch {os.path.basename(path)}: {d['error']}")
EOF
( cd "$OUT" && tar czf fidelity.tgz --exclude fidelity.tgz . && find . -maxdepth 1 -type f ! -name fidelity.tgz ! -name summary.txt ! -name env.txt -delete )
ls -la "$OUT"
