#!/usr/bin/env bash
# Runs the GPU measurement kit on a machine with an NVIDIA GPU and no Node.js: unpacks node and dawn.node
# from .gpu-kit/ (built here by `npm run gpu-kit`), brings the Vulkan loader if the machine lacks it, trains
# the three autoencoders on tfjs's WebGPU backend through Dawn (kit.json), then the same models in PyTorch
# on CUDA (torch.json), and prints a summary. Each step has its own timeout, so one hang does not eat the
# rest; every step that fails is reported and the next one still runs. Meant to finish in under 5 minutes.
#
#   OUT=/some/dir bash scripts/gpu-kit/run-on-device.sh          (run from the repository root)
#
# Writes to $OUT (at most 7 files): env.txt, kit.json, kit.log, [kit-first.json], torch.json, torch.log,
# summary.txt. Environment knobs: KIT_ARGS (extra kit flags), KIT_TIMEOUT (s, default 180),
# TORCH_TIMEOUT (s, default 120), TORCH_ARGS.
set -u
# shellcheck source=device-setup.sh
. "$(dirname "$0")/device-setup.sh"

# --- 4. The tfjs WebGPU kit -----------------------------------------------------------------------------
KIT_TIMEOUT=${KIT_TIMEOUT:-180}
run_kit() { # extra env assignments come before the call
  timeout -k 10 "$KIT_TIMEOUT" "$NODE" "$KIT/kit.mjs" --backend webgpu --dawn "$WORK/dawn.node" \
    --batches dense=200,cnn_relu=100,cnn_elu=100 --warmup 10 --check-steps 3 --out "$OUT/kit.json" \
    ${KIT_ARGS:-} >/dev/null 2>>"$OUT/kit.log"
  local rc=$?
  say "kit exited with $rc$([ $rc = 124 ] && echo ' (timed out)')"
}
no_adapter() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d.get('backend') is None else 1)" "$OUT/kit.json" 2>/dev/null; }
: >"$OUT/kit.log"
if [ "$node_ok" = 1 ] && [ -f "$KIT/kit.mjs" ]; then
  say "tfjs kit on webgpu (timeout ${KIT_TIMEOUT}s)…"
  run_kit
  if no_adapter; then
    # Once more with the loader's own account of what it tried, and NVIDIA's manifest named outright.
    mv "$OUT/kit.json" "$OUT/kit-first.json"
    [ -z "${VK_DRIVER_FILES:-}" ] && [ -n "$nvicd" ] && export VK_DRIVER_FILES=$nvicd
    say "no adapter; retrying with VK_LOADER_DEBUG=error,warn,driver VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
    echo "=== retry with VK_LOADER_DEBUG ===" >>"$OUT/kit.log"
    KIT_TIMEOUT=60 VK_LOADER_DEBUG=error,warn,driver run_kit
  fi
  grep -E '^kit:' "$OUT/kit.log" | tail -8
fi

# --- 5. PyTorch on CUDA ---------------------------------------------------------------------------------
TORCH_TIMEOUT=${TORCH_TIMEOUT:-120}
if have python3; then
  say "torch reference (timeout ${TORCH_TIMEOUT}s)…"
  if [ "$ORIG_LD_LIBRARY_PATH" = __unset__ ]; then unset LD_LIBRARY_PATH; else export LD_LIBRARY_PATH=$ORIG_LD_LIBRARY_PATH; fi
  PYTHONUNBUFFERED=1 timeout -k 10 "$TORCH_TIMEOUT" python3 scripts/gpu-kit/torch_reference.py \
    --out "$OUT/torch.json" --data "$KIT/train-images-idx3-ubyte.gz" ${TORCH_ARGS:-} >/dev/null 2>"$OUT/torch.log"
  say "torch exited with $?"
  tail -5 "$OUT/torch.log"
else
  say "no python3"
fi

# --- 6. Summary -----------------------------------------------------------------------------------------
echo "=== summary ($(($(date +%s) - started)) s) ==="
python3 scripts/gpu-kit/summarize.py "$OUT" 2>&1 || echo "(no summary: python3 failed)"
ls -la "$OUT"
