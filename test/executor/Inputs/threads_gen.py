"""Generates a one-conv TOSA model and its input for the thread-count determinism test
(threads-deterministic.test), without NumPy (lit's python3 may not have it).
  threads_gen.py OUT.mlir OUT.npy H W C OC KH [--check OUTPUT.npy]
--check also compares OUTPUT.npy's first element (sample 0, pixel (0,0), channel 0) with a
scalar float64 recomputation and prints "check y[0,0,0,0]: ok" (or the two values).
Input [N=2, H, W, C] NHWC, weights [OC, KH, KH, C] (OHWI), stride 1, 'same' padding; values
from a fixed LCG in [-1, 1) so every run writes the same bytes."""
import struct
import sys

out_mlir, out_npy = sys.argv[1], sys.argv[2]
H, W, C, OC, KH = (int(v) for v in sys.argv[3:8])
N = 2
state = [12345]


def rnd():
    state[0] = (state[0] * 1103515245 + 12345) % (1 << 31)
    return (state[0] >> 10) / float(1 << 20) - 1.0


w = [rnd() for _ in range(OC * KH * KH * C)]
b = [rnd() for _ in range(OC)]
x = [rnd() for _ in range(N * H * W * C)]
p = KH // 2
f = lambda vs: '"0x' + struct.pack('<%df' % len(vs), *vs).hex().upper() + '"'  # flat hex blob
with open(out_mlir, 'w') as o:
    o.write('''module {
  func.func @main(%%arg0: tensor<%dx%dx%dx%dxf32>) -> tensor<%dx%dx%dx%dxf32> {
    %%zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
    %%w = "tosa.const"() <{values = dense<%s> : tensor<%dx%dx%dx%dxf32>}> : () -> tensor<%dx%dx%dx%dxf32>
    %%b = "tosa.const"() <{values = dense<%s> : tensor<%dxf32>}> : () -> tensor<%dxf32>
    %%y = tosa.conv2d %%arg0, %%w, %%b, %%zp, %%zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: %d, %d, %d, %d>, stride = array<i64: 1, 1>} : (tensor<%dx%dx%dx%dxf32>, tensor<%dx%dx%dx%dxf32>, tensor<%dxf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<%dx%dx%dx%dxf32>
    return %%y : tensor<%dx%dx%dx%dxf32>
  }
}
''' % (1, H, W, C, 1, H, W, OC,
       f(w), OC, KH, KH, C, OC, KH, KH, C,
       f(b), OC, OC,
       p, p, p, p, 1, H, W, C, OC, KH, KH, C, OC, 1, H, W, OC,
       1, H, W, OC))
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d, %d, %d), }" % (N, H, W, C)
header += ' ' * ((64 - (10 + len(header) + 1) % 64) % 64) + '\n'
with open(out_npy, 'wb') as o:
    o.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode('latin1'))
    o.write(struct.pack('<%df' % len(x), *x))

if len(sys.argv) > 9 and sys.argv[8] == '--check':
    ref = b[0]
    for kh in range(KH):
        for kw in range(KH):
            ih, iw = kh - p, kw - p
            if 0 <= ih < H and 0 <= iw < W:
                for c in range(C):
                    ref += x[(ih * W + iw) * C + c] * w[((0 * KH + kh) * KH + kw) * C + c]
    raw = open(sys.argv[9], 'rb').read()
    hl = struct.unpack('<H', raw[8:10])[0]
    got = struct.unpack('<f', raw[10 + hl:14 + hl])[0]
    ok = abs(got - ref) <= 1e-4 * (1 + abs(ref))
    print('check y[0,0,0,0]: %s' % ('ok' if ok else 'got %.9g want %.9g' % (got, ref)))
