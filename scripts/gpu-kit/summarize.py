#!/usr/bin/env python3
"""Prints a short table from the GPU kit's JSON reports (kit.json from kit.mjs, torch.json from
torch_reference.py); a missing or broken file is reported, never fatal.

  python3 scripts/gpu-kit/summarize.py OUT_DIR
"""
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f), None
    except Exception as e:
        return None, f"{type(e).__name__}: {e}"


def first_line(text):
    return str(text).strip().split("\n")[0][:300]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    lines = []
    kit, err = load(os.path.join(out, "kit.json"))
    if kit is None:
        lines.append(f"tfjs kit: no report ({err})")
    else:
        adapter = (kit.get("dawn") or {}).get("adapter")
        if adapter:
            lines.append(f"tfjs kit: backend {kit.get('backend')}, adapter {adapter.get('vendor')} / "
                         f"{adapter.get('architecture')} / {adapter.get('device')} / {adapter.get('description')}"
                         f"{' (SOFTWARE fallback)' if adapter.get('isFallbackAdapter') else ''}")
        else:
            lines.append(f"tfjs kit: backend {kit.get('backend')}, no adapter")
            for a in (kit.get("dawn") or {}).get("attempts", []):
                lines.append(f"  attempt flags={a.get('flags')} power={a.get('powerPreference')}: {a.get('result')}"
                             f" {first_line(a.get('error', ''))}")
            if (kit.get("dawn") or {}).get("availableAdapters"):
                lines.append(f"  Dawn's adapters: {first_line(kit['dawn']['availableAdapters'])}")
        for r in kit.get("results", []):
            check = r.get("check") or {}
            lines.append(f"  {r['arch']:9s} {r['samplesPerSec']:10.0f} samples/s  {r['gflopsPerSec']:8.2f} GFLOP/s  "
                         f"batch {r['medianBatchMs']:.2f} ms  loss {r['lossStart']:.4f} -> {r['lossEnd']:.4f}  "
                         f"vs cpu max rel {check.get('maxRelDiff', float('nan')):.2e}")
        if kit.get("error"):
            lines.append(f"  error: {first_line(kit['error'])}")
    torch, err = load(os.path.join(out, "torch.json"))
    if torch is None:
        lines.append(f"torch: no report ({err})")
    else:
        lines.append(f"torch {torch.get('torch')}: device {(torch.get('device') or {}).get('name')}")
        for r in torch.get("results", []):
            if r.get("error"):
                lines.append(f"  {r['arch']:9s} error: {first_line(r['error'])}")
                continue
            lines.append(f"  {r['arch']:9s} synced {r['samplesPerSecSynced']:10.0f} samples/s ({r['gflopsPerSecSynced']:.1f}"
                         f" GFLOP/s)  pipelined {r['samplesPerSecPipelined']:10.0f} samples/s "
                         f"({r['gflopsPerSecPipelined']:.1f} GFLOP/s)  params {r['params']}"
                         f"{'' if r.get('paramsMatchReference') else ' (MISMATCH)'}")
        if torch.get("error"):
            lines.append(f"  error: {first_line(torch['error'])}")
    text = "\n".join(lines)
    print(text)
    try:
        with open(os.path.join(out, "summary.txt"), "w") as f:
            f.write(text + "\n")
    except Exception:
        pass


if __name__ == "__main__":
    main()
