#!/usr/bin/env python3
"""Independent scalar reference of the score shift (docs/search.md "Weight quantization",
"Score shift"), from ajpq-runner --save-outputs dumps of the calibration samples:
  FP  the fp32 module, Q0 the module compressed without the shift (AJPQ_WQ_HEAD=0),
  Q   the same strategy with the shift. Scored outputs: the manifest's max_sigmoid outputs.
delta_ref = mean over samples of (max scored logit of FP - max scored logit of Q0); checks that
every scored element of Q is Q0 + delta_ref, that the other outputs are unchanged, and that the
mean max scored logit of Q equals FP's. Prints TEST: lines for FileCheck."""
import ast, struct, sys

def load(path):
    b = open(path, 'rb').read()
    assert b[:6] == b'\x93NUMPY', path
    hl = struct.unpack('<H', b[8:10])[0]
    h = ast.literal_eval(b[10:10 + hl].decode())
    assert h['descr'] == '<f4' and not h['fortran_order'], h
    n = 1
    for s in h['shape']:
        n *= s
    return h['shape'], struct.unpack('<%df' % n, b[10 + hl:10 + hl + 4 * n])

fp, q0, q = sys.argv[1:4]
scored = [int(x) for x in sys.argv[4].split(',')]
others = [int(x) for x in sys.argv[5].split(',')] if len(sys.argv) > 5 else []

def maxes(d):
    res = None
    for o in scored:
        shape, x = load('%s/output_%d.npy' % (d, o))
        n, per = shape[0], len(x) // shape[0]
        m = [max(x[s * per:(s + 1) * per]) for s in range(n)]
        res = m if res is None else [max(a, b) for a, b in zip(res, m)]
    return res

mf, m0, mq = maxes(fp), maxes(q0), maxes(q)
n = len(mf)
delta = sum(a - b for a, b in zip(mf, m0)) / n
print('TEST: samples %d delta %.4f nontrivial %s' % (n, delta, abs(delta) > 0.05))
worst = 0.0
for o in scored:
    _, a = load('%s/output_%d.npy' % (q0, o))
    _, b = load('%s/output_%d.npy' % (q, o))
    for x, y in zip(a, b):
        worst = max(worst, abs(y - (x + delta)) / (1.0 + abs(x)))
print('TEST: scored outputs = unshifted + delta_ref: %s' % ('ok' if worst < 1e-4 else 'FAIL %g' % worst))
worst = 0.0
for o in others:
    _, a = load('%s/output_%d.npy' % (q0, o))
    _, b = load('%s/output_%d.npy' % (q, o))
    worst = max([worst] + [abs(x - y) / (1.0 + abs(x)) for x, y in zip(a, b)])
print('TEST: other outputs unchanged: %s' % ('ok' if worst < 1e-5 else 'FAIL %g' % worst))
gap = sum(a - b for a, b in zip(mf, mq)) / n
print('TEST: mean fp32 - shifted max logit %s' % ('ok' if abs(gap) < 1e-3 else 'FAIL %g' % gap))
