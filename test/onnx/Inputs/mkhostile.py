"""Writes hostile ONNX files byte by byte (protobuf wire format), for
test/onnx/hostile.test: python3 mkhostile.py OUTDIR."""
import os
import sys


def varint(n):
    n &= (1 << 64) - 1
    out = b''
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def key(f, wt): return varint((f << 3) | wt)
def ld(f, b): return key(f, 2) + varint(len(b)) + b
def vi(f, n): return key(f, 0) + varint(n)
def s(x): return x.encode()


def valueinfo(name, dims):
    shape = b''.join(ld(1, vi(1, d)) for d in dims)
    return ld(1, s(name)) + ld(2, ld(1, vi(1, 1) + ld(2, shape)))


def tensor(name, dims, raw):
    return b''.join(vi(1, d) for d in dims) + vi(2, 1) + ld(8, s(name)) + ld(9, raw)


def node(op, ins, outs, attrs=b''):
    return (b''.join(ld(1, s(i)) for i in ins) + b''.join(ld(2, s(o)) for o in outs) +
            ld(4, s(op)) + attrs)


def graph(nodes, inits, inputs, outputs):
    return (b''.join(ld(1, n) for n in nodes) + ld(2, s('g')) + b''.join(ld(5, t) for t in inits) +
            b''.join(ld(11, v) for v in inputs) + b''.join(ld(12, v) for v in outputs))


def model(g, opset=13):
    return vi(1, 7) + ld(7, g) + ld(8, ld(1, b'') + vi(2, opset))


def attr_ints(name, vals):
    return ld(5, ld(1, s(name)) + b''.join(vi(8, v) for v in vals) + vi(20, 7))


def nested(levels):
    # Graph > Node > Attribute(g) > Graph > ... built inside out.
    g = graph([node('Relu', ['x'], ['y'])], [], [valueinfo('x', [1, 4])], [valueinfo('y', [1, 4])])
    for _ in range(levels):
        a = ld(1, s('then_branch')) + ld(6, g) + vi(20, 5)
        g = graph([node('If', ['x'], ['y'], ld(5, a))], [], [valueinfo('x', [1, 4])],
                  [valueinfo('y', [1, 4])])
    return g


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
relu = graph([node('Relu', ['x'], ['y'])], [], [valueinfo('x', [1, 4])], [valueinfo('y', [1, 4])])
open(os.path.join(out, 'nested.onnx'), 'wb').write(model(nested(30000)))
# 30 levels = Model, Graph, 3*30 (Node, Attribute, Graph), then the innermost
# graph's ValueInfo > Type > Tensor > Shape > Dimension: 97 <= the limit of 100.
open(os.path.join(out, 'nested30.onnx'), 'wb').write(model(nested(30)))
open(os.path.join(out, 'opset_huge.onnx'), 'wb').write(model(relu, opset=1 << 40))
cw = tensor('w', [1, 1, 3, 3], b'\0' * 36)
x8 = [valueinfo('x', [1, 1, 8, 8])]
y8 = [valueinfo('y', [1, 1, 8, 8])]
open(os.path.join(out, 'conv_stride0.onnx'), 'wb').write(
    model(graph([node('Conv', ['x', 'w'], ['y'], attr_ints('strides', [1, 0]))], [cw], x8, y8)))
open(os.path.join(out, 'conv_pads.onnx'), 'wb').write(
    model(graph([node('Conv', ['x', 'w'], ['y'], attr_ints('pads', [0, 0, 1 << 40, 0]))], [cw], x8, y8)))
grp = ld(5, ld(1, s('group')) + vi(3, 0) + vi(20, 2))
open(os.path.join(out, 'conv_group0.onnx'), 'wb').write(
    model(graph([node('Conv', ['x', 'w'], ['y'], grp)], [cw], x8, y8)))
