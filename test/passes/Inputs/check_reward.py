"""check_reward.py TRACE_LOG RUNNER_JSON — the search's reward for metric=agreement is
0.1 x (agreement% - 100) - mean KL(fp32 || candidate) (docs/search.md "Reward"). The trace
line (AJPQ_JC_TRACE=1) of a one-episode search gives the reward and agreement the pass
computed on the calibration data; RUNNER_JSON is `ajpq-runner --metric kl --reference fp32
--json` on the rewritten module over the same data, an independent computation of both terms
(integer ajpq path vs the search's fake-quantized float path: equal to ~1e-4 here)."""
import json
import re
import sys

trace = [l for l in open(sys.argv[1]) if l.startswith('trace:')]
m = re.search(r'reward (-?[0-9.]+) metric ([0-9.]+)', trace[-1])
reward, metric = float(m.group(1)), float(m.group(2))
run = json.load(open(sys.argv[2]))
want = 0.1 * (100.0 * run['agreement'] - 100.0) - run['kl']
print('agreement: pass %.4f runner %.4f' % (metric, run['agreement']))
print('kl term: %.4f' % run['kl'])
ok = abs(metric - run['agreement']) < 1e-4 and abs(reward - want) <= 1e-3 and run['kl'] > 1e-2
print('reward %.4f expected %.4f: %s' % (reward, want, 'ok' if ok else 'MISMATCH'))
sys.exit(0 if ok else 1)
