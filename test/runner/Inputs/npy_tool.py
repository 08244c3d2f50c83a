"""Tiny .npy v1 writer / NaN counter without NumPy (lit's python3 may not have it).
  npy_tool.py write OUT.npy f4|i8 D0xD1 v v v ...   C order, little-endian
  npy_tool.py nan IN.npy                            prints "shape (D0, D1) nan N" (float32 only)
  npy_tool.py values IN.npy                         one float32 value per line, '%.9g' (round-trips)
  npy_tool.py nmse GOT.npy REF.npy ...              mean over the pairs of sum (g-r)^2 / sum r^2
"""
import ast
import math
import struct
import sys


def write(path, dtype, dims, vals):
    shape = tuple(int(d) for d in dims.split('x'))
    header = "{'descr': '<%s', 'fortran_order': False, 'shape': %s, }" % (dtype, repr(shape))
    header += ' ' * ((64 - (10 + len(header) + 1) % 64) % 64) + '\n'
    fmt = '<%d%s' % (len(vals), 'f' if dtype == 'f4' else 'q')
    data = struct.pack(fmt, *[float(v) if dtype == 'f4' else int(v) for v in vals])
    with open(path, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode('latin1'))
        f.write(data)


def load(path):
    b = open(path, 'rb').read()
    hl = struct.unpack('<H', b[8:10])[0]
    h = ast.literal_eval(b[10:10 + hl].decode('latin1'))
    assert h['descr'] == '<f4'
    body = b[10 + hl:]
    return h, struct.unpack('<%df' % (len(body) // 4), body)


def nan(path):
    h, vals = load(path)
    print('shape', h['shape'], 'nan', sum(1 for v in vals if math.isnan(v)))


if sys.argv[1] == 'write':
    write(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
elif sys.argv[1] == 'nmse':
    pairs = sys.argv[2:]
    acc = 0.0
    for g, r in zip(pairs[0::2], pairs[1::2]):
        gv, rv = load(g)[1], load(r)[1]
        assert len(gv) == len(rv)
        err = sum((a - b) ** 2 for a, b in zip(gv, rv))
        ref = sum(b * b for b in rv)
        acc += err / ref if ref > 0 else err / max(len(rv), 1)
    print('nmse %.6g' % (acc / (len(pairs) // 2)))
elif sys.argv[1] == 'values':
    for v in load(sys.argv[2])[1]:
        print('%.9g' % v)
else:
    nan(sys.argv[2])
