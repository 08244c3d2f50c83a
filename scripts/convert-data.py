#!/usr/bin/python3
"""Convert ajpq's fetched raw data into model-ready tensors (.npy).

Called by scripts/fetch-data.sh as

    /usr/bin/python3 scripts/convert-data.py RAW_DIR OUT_DIR

with Debian's python3-numpy (the pyenv `python3` on PATH does not see Debian packages).
RAW_DIR is the cache ($AJPQ_DATA) holding the verified raw files; every derived tensor is
written under OUT_DIR (a temporary directory that fetch-data.sh moves into place after
success), each file via a temporary name + rename.  The preprocessing is documented in
docs/data.md; the layout of the outputs (names, shapes, dtypes) too.

Bilinear resize: separable, half-pixel centres (src = (dst + 0.5) * in/out - 0.5), source
coordinates clamped to [0, in-1] at the borders.  For upsampling this is exactly ONNX
Resize(mode=linear, coordinate_transformation_mode=half_pixel), PIL's BILINEAR,
torch.nn.functional.interpolate(mode="bilinear", align_corners=False) and
skimage.transform.resize(order=1).  Computed in float64, rounded once to float32.
"""
import gzip
import os
import struct
import sys

import numpy as np


def die(msg):
    sys.stderr.write(f"convert-data: error: {msg}\n")
    sys.exit(1)


def read_idx(path, want_ndim):
    """Unsigned-byte IDX (.gz or raw) -> numpy uint8, strict about magic and size."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        die(f"{path}: {e}")
    if len(raw) < 4 or raw[0:3] != b"\x00\x00\x08" or raw[3] != want_ndim:
        die(f"{path}: not an unsigned-byte IDX file with {want_ndim} dimensions")
    dims = struct.unpack(">" + "I" * want_ndim, raw[4:4 + 4 * want_ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * want_ndim)
    if data.size != int(np.prod(dims)):
        die(f"{path}: header says {int(np.prod(dims))} bytes of data, file has {data.size}")
    return data.reshape(dims)


def save(out_dir, rel, arr):
    path = os.path.join(out_dir, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(arr), allow_pickle=False)
    os.replace(tmp, path)


def bilinear_matrix(n_in, n_out):
    """[n_out, n_in] float64 interpolation matrix, half-pixel centres, edge clamp."""
    m = np.zeros((n_out, n_in), dtype=np.float64)
    scale = n_in / n_out
    for o in range(n_out):
        src = (o + 0.5) * scale - 0.5
        src = min(max(src, 0.0), n_in - 1.0)
        i0 = int(np.floor(src))
        i1 = min(i0 + 1, n_in - 1)
        w1 = src - i0
        m[o, i0] += 1.0 - w1
        m[o, i1] += w1
    return m


def lfw_to_blazeface(lfw, size):
    """float64 [N,25,25] in [0,1] -> float32 [N,size,size,3] in [-1,1] (NHWC, R=G=B)."""
    n, h, w = lfw.shape
    my = bilinear_matrix(h, size)
    mx = bilinear_matrix(w, size)
    out = np.empty((n, size, size, 3), dtype=np.float32)
    for i in range(n):
        img = my @ lfw[i] @ mx.T  # [size, size] float64
        v = (2.0 * img - 1.0).astype(np.float32)
        out[i] = v[:, :, None]
    return out


def convert_lfw(raw, out):
    path = os.path.join(raw, "lfw", "lfw_subset.npy")
    lfw = np.load(path, allow_pickle=False)
    if lfw.shape != (200, 25, 25) or lfw.dtype != np.float64:
        die(f"{path}: expected float64 (200, 25, 25), got {lfw.dtype} {lfw.shape}")
    if not np.all(np.isfinite(lfw)) or lfw.min() < 0.0 or lfw.max() > 1.0:
        die(f"{path}: values outside [0, 1]")
    labels = np.concatenate([np.ones(100, np.int64), np.zeros(100, np.int64)])
    save(out, "lfw/labels.npy", labels)
    save(out, "lfw/blazeface-front-128.npy", lfw_to_blazeface(lfw, 128))
    save(out, "lfw/blazeface-back-256.npy", lfw_to_blazeface(lfw, 256))


def convert_mnist_like(raw, out, name, images, labels, calib_train):
    """IDX -> float32 NCHW [N,1,28,28] pixel/255 and int64 labels; plus the zoo file
    (training images [0, calib_train) followed by all test images)."""
    tensors = {}
    for split in ("train", "t10k"):
        x = read_idx(os.path.join(raw, name, images.format(split)), 3)
        y = read_idx(os.path.join(raw, name, labels.format(split)), 1)
        if x.shape[0] != y.shape[0] or x.shape[1:] != (28, 28):
            die(f"{name}/{split}: {x.shape[0]} images of {x.shape[1:]} vs {y.shape[0]} labels")
        if y.max() > 9:
            die(f"{name}/{split}: label {int(y.max())} out of range 0..9")
        xf = (x.astype(np.float32) / np.float32(255.0))[:, None, :, :]
        yl = y.astype(np.int64)
        tag = "test" if split == "t10k" else "train"
        save(out, f"{name}/{tag}-images.npy", xf)
        save(out, f"{name}/{tag}-labels.npy", yl)
        tensors[tag] = (xf, yl)
    if calib_train:
        xtr, ytr = tensors["train"]
        xte, yte = tensors["test"]
        save(out, f"{name}/zoo-images.npy", np.concatenate([xtr[:calib_train], xte]))
        save(out, f"{name}/zoo-labels.npy", np.concatenate([ytr[:calib_train], yte]))


def main():
    if len(sys.argv) != 3:
        die("usage: convert-data.py RAW_DIR OUT_DIR")
    raw, out = sys.argv[1], sys.argv[2]
    convert_lfw(raw, out)
    convert_mnist_like(raw, out, "fashion-mnist", "{}-images-idx3-ubyte.gz",
                       "{}-labels-idx1-ubyte.gz", 5000)
    convert_mnist_like(raw, out, "mnist", "{}-images-idx3-ubyte", "{}-labels-idx1-ubyte", 5000)


if __name__ == "__main__":
    main()
