"""Writes a small super-resolution-shaped model as ONNX text (for protoc-c) and a seeded input set
(stdlib only; lit's python3 may have no NumPy):
    gen_sr_model.py OUT_DIR
OUT_DIR/model.txt: x [1,1,16,16] -> Conv 3x3 (16) -> InstanceNormalization -> Relu -> Conv 3x3 (16)
    -> Elu -> Conv 3x3 (8) -> DepthToSpace(2, CRD) -> y [1,2,32,32]   (ESPCN-style sub-pixel head)
OUT_DIR/x.npy: 24 samples [24,1,16,16] float32 of smooth seeded patterns."""
import math
import os
import random
import struct
import sys

out = sys.argv[1]
rng = random.Random(3)


def init(name, dims, mu=0.0, sd=0.4):
    n = 1
    for d in dims:
        n *= d
    vals = ' '.join('float_data: %.4f' % rng.gauss(mu, sd) for _ in range(n))
    return 'initializer { name: "%s" %s data_type: 1 %s }' % (
        name, ' '.join('dims: %d' % d for d in dims), vals)


PADS = 'attribute { name: "pads" ints: 1 ints: 1 ints: 1 ints: 1 type: INTS }'
g = [
    'node { input: "x" input: "w1" input: "b1" output: "c1" op_type: "Conv" name: "conv1" %s }' % PADS,
    'node { input: "c1" input: "s1" input: "t1" output: "n1" op_type: "InstanceNormalization" name: "in1" }',
    'node { input: "n1" output: "r1" op_type: "Relu" name: "relu1" }',
    'node { input: "r1" input: "w2" input: "b2" output: "c2" op_type: "Conv" name: "conv2" %s }' % PADS,
    'node { input: "c2" output: "r2" op_type: "Elu" name: "elu2" }',
    'node { input: "r2" input: "w3" input: "b3" output: "c3" op_type: "Conv" name: "conv3" %s }' % PADS,
    'node { input: "c3" output: "y" op_type: "DepthToSpace" name: "d2s" '
    'attribute { name: "blocksize" i: 2 type: INT } attribute { name: "mode" s: "CRD" type: STRING } }',
    init('w1', [16, 1, 3, 3]), init('b1', [16]), init('s1', [16], 1.0, 0.3), init('t1', [16], 0.0, 0.3),
    init('w2', [16, 16, 3, 3]), init('b2', [16]), init('w3', [8, 16, 3, 3]), init('b3', [8]),
    'input { name: "x" type { tensor_type { elem_type: 1 shape { dim { dim_value: 1 } '
    'dim { dim_value: 1 } dim { dim_value: 16 } dim { dim_value: 16 } } } } }',
    'output { name: "y" type { tensor_type { elem_type: 1 shape { dim { dim_value: 1 } '
    'dim { dim_value: 2 } dim { dim_value: 32 } dim { dim_value: 32 } } } } }',
]
with open(os.path.join(out, 'model.txt'), 'w') as f:
    f.write('ir_version: 7\nopset_import { domain: "" version: 13 }\ngraph {\n%s\n}\n' % '\n'.join(g))
n = 24
vals = [math.sin(0.3 * (i % 16) + 0.7 * s) * math.cos(0.2 * (i // 16) - 0.1 * s)
        for s in range(n) for i in range(256)]
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 1, 16, 16), }" % n
hdr += ' ' * ((64 - (10 + len(hdr) + 1) % 64) % 64) + '\n'
with open(os.path.join(out, 'x.npy'), 'wb') as f:
    f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode('latin1'))
    f.write(struct.pack('<%df' % len(vals), *vals))
