#!/usr/bin/python3
"""Train ajpq's own Fashion-MNIST CNN (MobileNet-style) and export it to ONNX.

Run with Debian's interpreter and packages (python3-torch 1.13, python3-numpy):

    /usr/bin/python3 models/fashion-mnist-cnn/train.py \
        [--data $AJPQ_DATA/fashion-mnist] [--epochs 8] [--seed 1] [--out models/fashion-mnist-cnn]

Data: the four Fashion-MNIST IDX .gz files that scripts/fetch-data.sh caches in
$AJPQ_DATA/fashion-mnist (taken from Debian's dataset-fashion-mnist). Training uses ONLY
the 60k training images; the 10k test images are used once, after training, to report
top-1 (the number written in README.md).

Input: NCHW float32 [N, 1, 28, 28], pixel / 255 (range [0, 1]; no mean/std
normalisation, so the same .npy tensors feed torch, ONNX Runtime and ajpq-runner).
Output: logits [N, 10] (ONNX output "logits"; softmax not applied).

Architecture (MobileNet-style; ~70k parameters):
    conv 3x3 1->32 s1 + BN + ReLU                                  28x28
    dw-sep block 32->64  s2  (dw 3x3 + BN + ReLU, pw 1x1 + BN + ReLU) 14x14
    dw-sep block 64->64  s1  + residual add (the one skip connection)  14x14
    dw-sep block 64->128 s2                                         7x7
    dw-sep block 128->128 s1                                        7x7
    dw-sep block 128->256 s2                                        4x4
    global average pool, linear 256->10
BatchNorm is folded into the convolutions by the exporter (eval mode), so the ONNX graph holds
only Conv, Relu, Add, GlobalAveragePool, Flatten and Gemm.

Determinism: torch.manual_seed(seed), numpy seed, a seeded torch.Generator for the shuffle and
the augmentation, deterministic algorithms on; 2 intra-op threads.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    """Read an IDX file (.gz or raw) into a numpy uint8 array; strict about size."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        sys.exit(f"train.py: {path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        sys.exit(f"train.py: {path}: expected {np.prod(dims)} bytes of data, found {data.size}")
    return data.reshape(dims)


class DWSep(nn.Module):
    """Depthwise 3x3 (stride s) + BN + ReLU, then pointwise 1x1 + BN + ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.pw = nn.Conv2d(cin, cout, 1, 1, 0, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.relu(self.bn1(self.dw(x)))
        return F.relu(self.bn2(self.pw(x)))


class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 32, 3, 1, 1, bias=False)
        self.bn0 = nn.BatchNorm2d(32)
        self.b1 = DWSep(32, 64, 2)
        self.b2 = DWSep(64, 64, 1)
        self.b3 = DWSep(64, 128, 2)
        self.b4 = DWSep(128, 128, 1)
        self.b5 = DWSep(128, 256, 2)
        self.fc = nn.Linear(256, 10)

    def forward(self, x):
        x = F.relu(self.bn0(self.stem(x)))
        x = self.b1(x)
        x = x + self.b2(x)  # the residual add
        x = self.b3(x)
        x = self.b4(x)
        x = self.b5(x)
        x = F.adaptive_avg_pool2d(x, 1)
        x = torch.flatten(x, 1)
        return self.fc(x)


def evaluate(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    default_data = os.path.join(os.environ.get("AJPQ_DATA", os.path.expanduser("~/.cache/ajpq")),
                                "fashion-mnist")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=default_data)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(args.seed)

    d = args.data
    xtr = torch.from_numpy(read_idx(os.path.join(d, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255.0)
    ytr = torch.from_numpy(read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    xte = torch.from_numpy(read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0)
    yte = torch.from_numpy(read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    xtr, xte = xtr.unsqueeze(1), xte.unsqueeze(1)  # NCHW
    assert xtr.shape == (60000, 1, 28, 28) and xte.shape == (10000, 1, 28, 28)

    model = FashionCNN()
    nparams = sum(p.numel() for p in model.parameters())
    print(f"parameters: {nparams}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(xtr) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total, nb = 0.0, 0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i:i + args.batch]
            xb, yb = xtr[idx], ytr[idx]
            # augmentation: random horizontal flip (garments are left/right symmetric classes)
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), yb, label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
            nb += 1
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / nb:.4f}  ({time.time() - t0:.0f} s)", flush=True)

    train_acc = evaluate(model, xtr[:10000], ytr[:10000])
    test_acc = evaluate(model, xte, yte)
    print(f"torch top-1: train[0:10000] {train_acc:.4f}  test {test_acc:.4f}", flush=True)

    model.eval()
    out = os.path.join(args.out, "fashion-mnist-cnn.onnx")
    tmp = out + ".tmp"
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), tmp, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=True)
    os.replace(tmp, out)
    with open(os.path.join(args.out, "train-result.json"), "w") as f:
        json.dump({"seed": args.seed, "epochs": args.epochs, "batch": args.batch, "lr": args.lr,
                   "parameters": nparams, "torch_version": torch.__version__,
                   "torch_test_top1": test_acc, "torch_train10k_top1": train_acc,
                   "train_seconds": round(time.time() - t0)}, f, indent=2)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
