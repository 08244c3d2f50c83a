"""neg_labels.py INPUTS.npy OUT.npy: int64 labels, one per sample of INPUTS.npy
(its leading dim), all 0 except -1 at index 1. Plain NPY v1 writer (no numpy)."""
import ast
import struct
import sys

with open(sys.argv[1], 'rb') as f:
    head = f.read(10)
    hlen = struct.unpack('<H', head[8:10])[0]
    n = ast.literal_eval(f.read(hlen).decode('latin1'))['shape'][0]
labels = [0] * n
labels[1] = -1
d = "{'descr': '<i8', 'fortran_order': False, 'shape': (%d,), }" % n
d += ' ' * ((64 - (10 + len(d) + 1) % 64) % 64) + '\n'
with open(sys.argv[2], 'wb') as f:
    f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(d)) + d.encode('latin1'))
    f.write(struct.pack('<%dq' % n, *labels))
