#!/usr/bin/env bash
# Sourced by the device scripts (run-on-device.sh, fidelity-on-device.sh): says what machine this is, makes
# the Vulkan loader and NVIDIA's ICD findable for Dawn, and unpacks node and dawn.node from .gpu-kit/ into
# $WORK. Leaves NODE, node_ok, KIT, OUT, WORK, nvicd, ORIG_LD_LIBRARY_PATH and say() for the caller.
set -u
cd "$(dirname "$0")/../.." || exit 1
KIT=.gpu-kit
OUT=${OUT:-/tmp/gpu-kit-out}
WORK=/tmp/gpu-kit
mkdir -p "$OUT" "$WORK"
ENV_TXT=$OUT/env.txt
: >"$ENV_TXT"
started=$(date +%s)
ORIG_LD_LIBRARY_PATH=${LD_LIBRARY_PATH-__unset__} # torch runs with the machine's own setting
say() { echo "[gpu-kit $(($(date +%s) - started))s] $*" | tee -a "$ENV_TXT"; }
have() { command -v "$1" >/dev/null 2>&1; }

# --- 1. What machine is this? -------------------------------------------------------------------------
say "uname: $(uname -srm); user $(id -u); $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
if have nvidia-smi; then
  timeout 20 nvidia-smi -L 2>&1 | tee -a "$ENV_TXT"
  timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1 | tee -a "$ENV_TXT"
else
  say "no nvidia-smi on this machine"
fi
if [ ! -f "$KIT/kit.mjs" ]; then
  say "no $KIT/kit.mjs: build it with 'npm run gpu-kit' and carry .gpu-kit"
fi

# --- 2. Vulkan loader (Dawn dlopens libvulkan.so.1; NVIDIA's Vulkan driver needs libGLdispatch.so.0) ------
extract_deb() { # deb dest: dpkg -x, or a Python ar+tar reader where dpkg is missing
  if have dpkg; then dpkg -x "$1" "$2"; return; fi
  python3 - "$1" "$2" <<'EOF'
import io, sys, tarfile
raw = open(sys.argv[1], 'rb').read(); pos = 8
while pos < len(raw):
    name = raw[pos:pos + 16].decode().strip(); size = int(raw[pos + 48:pos + 58]); body = raw[pos + 60:pos + 60 + size]
    if name.startswith('data.tar'):
        tarfile.open(fileobj=io.BytesIO(body), mode='r:*').extractall(sys.argv[2])
    pos += 60 + size + (size & 1)
EOF
}
need_lib() { ! ldconfig -p 2>/dev/null | grep -q "$1"; }
# On a GPU machine (root, NVIDIA's driver under /usr/local/nvidia) the loader libraries go into / and are
# registered with ldconfig, with the driver's Vulkan and EGL manifests named explicitly. Measured on the H200
# on 2026-12-04: unpacked only into a private folder on LD_LIBRARY_PATH, NVIDIA's ICD answered
# "Could not get 'vkCreateInstance' via 'vk_icdGetInstanceProcAddr'" and Dawn found no adapter; with the
# glvnd/EGL/GL/Vulkan packages in / plus these two variables, Dawn found the H200.
if [ "$(id -u)" = 0 ] && [ -d /usr/local/nvidia ] && have dpkg && [ "${GPU_KIT_PRIVATE_LIBS:-0}" != 1 ]; then
  for deb in "$KIT"/gl/*.deb; do [ -e "$deb" ] && dpkg -x "$deb" / && say "unpacked $(basename "$deb") into /"; done
  ldconfig
  f=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; [ -e "$f" ] && export VK_DRIVER_FILES=$f && say "VK_DRIVER_FILES=$f"
  f=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json; [ -e "$f" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$f && say "__EGL_VENDOR_LIBRARY_FILENAMES=$f"
fi
for pair in libvulkan.so.1:libvulkan1 libGLdispatch.so.0:libglvnd0 libX11.so.6:libx11-6 libXext.so.6:libxext6 \
  libxcb.so.1:libxcb1 libXau.so.6:libxau6 libXdmcp.so.6:libxdmcp6 libbsd.so.0:libbsd0 libmd.so.0:libmd0; do
  lib=${pair%%:*}; pkg=${pair##*:}
  deb=$(ls "$KIT"/gl/"${pkg}"_*.deb 2>/dev/null | head -1)
  if ! need_lib "$lib"; then present="${present:-}$lib "; continue; fi
  if [ -z "$deb" ]; then say "$lib: missing and no $pkg deb in $KIT/gl"; continue; fi
  # Into a private folder on LD_LIBRARY_PATH rather than /: the same for dlopen, and it changes nothing
  # on the machine (this script also runs on developers' machines to check it).
  mkdir -p "$WORK/root" && extract_deb "$deb" "$WORK/root" && say "$lib: unpacked $deb into $WORK/root"
  case ":${LD_LIBRARY_PATH:-}:" in
    *":$WORK/root/usr/lib/x86_64-linux-gnu:"*) ;;
    *) export LD_LIBRARY_PATH="$WORK/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;;
  esac
done
say "already on this machine: ${present:-none of them}"
[ -n "${LD_LIBRARY_PATH:-}" ] && say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
ldconfig -p 2>/dev/null | grep -i -E 'vulkan|GLdispatch|GLX_nvidia' | tee -a "$ENV_TXT"

# NVIDIA's Vulkan driver manifest: the loader only searches the standard folders.
icd=""
for d in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
  f=$(ls "$d"/nvidia_icd*.json 2>/dev/null | head -1)
  [ -n "$f" ] && icd=$f && break
done
nvicd=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd*.json 2>/dev/null | head -1)
if [ -z "$icd" ] && [ -n "$nvicd" ]; then
  export VK_DRIVER_FILES=$nvicd
  icd=$VK_DRIVER_FILES
  say "VK_DRIVER_FILES=$VK_DRIVER_FILES (not in the loader's standard folders)"
fi
if [ -n "$icd" ]; then
  say "NVIDIA Vulkan ICD: $icd: $(tr -d '\n ' <"$icd")"
  icdlib=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['ICD']['library_path'])" "$icd" 2>/dev/null)
  if [ -n "$icdlib" ] && need_lib "$icdlib"; then
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
      if [ -e "$d/$icdlib" ]; then
        export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
        say "$icdlib found in $d (LD_LIBRARY_PATH)"
        break
      fi
    done
  fi
  icdpath=$(ldconfig -p 2>/dev/null | awk -v l="$icdlib" '$1 == l { print $NF; exit }')
  [ -z "$icdpath" ] && [ -e "/usr/local/nvidia/lib64/$icdlib" ] && icdpath=/usr/local/nvidia/lib64/$icdlib
  if [ -n "$icdpath" ] && have ldd; then
    say "ICD library $icdpath; libraries it lacks: $(ldd "$icdpath" 2>&1 | grep 'not found' | tr -s ' \t\n' ' ')"
  else
    say "ICD library $icdlib not found"
  fi
else
  say "no nvidia_icd.json found (Dawn will find no NVIDIA adapter)"
fi
have vulkaninfo && timeout 20 vulkaninfo --summary 2>&1 | head -40 | tee -a "$ENV_TXT"

# --- 3. node and dawn.node ------------------------------------------------------------------------------
unxz_to() { # src dest
  if have xz; then xz -dc "$1" >"$2"; else python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$1" "$2"; fi
}
NODE=$WORK/node
node_ok=0
if [ -f "$KIT/node.xz" ] && [ -f "$KIT/dawn.node.xz" ]; then
  unxz_to "$KIT/node.xz" "$NODE" && chmod +x "$NODE" && unxz_to "$KIT/dawn.node.xz" "$WORK/dawn.node"
  if "$NODE" --version >/dev/null 2>&1; then
    node_ok=1
  elif LD_LIBRARY_PATH="$PWD/$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$NODE" --version >/dev/null 2>&1; then
    export LD_LIBRARY_PATH="$PWD/$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    node_ok=1
    say "node needed the carried libstdc++ ($KIT/lib)"
  else
    say "node does not start: $("$NODE" --version 2>&1 | head -3)"
  fi
  [ "$node_ok" = 1 ] && say "node $("$NODE" --version)"
else
  say "no $KIT/node.xz or $KIT/dawn.node.xz"
fi
