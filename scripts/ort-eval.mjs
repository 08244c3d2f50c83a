#!/usr/bin/env node
// Independent reference: score a zoo manifest (docs/manifest.md) with ONNX Runtime.
//
//   node scripts/ort-eval.mjs zoo/blazeface-front.json [--split evaluation|calibration|NAME]
//        [--limit N] [--batch N] [--threads N] [--save-outputs DIR] [--json]
//
// onnxruntime-node@1.30.0 is NOT a dependency of the repository. Install it once, outside
// the checkout, with the npm registry's ordinary client:
//   mkdir -p /work/ort && cd /work/ort && npm install --ignore-scripts onnxruntime-node@1.30.0
// and point AJPQ_ORT at that folder (default: /work/ort, then $HOME/.cache/ajpq-ort).
// Data: the cache ${AJPQ_DATA:-$HOME/.cache/ajpq} written by scripts/fetch-data.sh.
//
// Output: a short table, or with --json one object
//   {name, split, n, metric, value, accuracy?, auc?, top1?, top5?, threshold?, runtime}
// Metrics as docs/manifest.md defines them: max_sigmoid -> accuracy at `threshold` and AUC
// (Mann-Whitney, ties count 1/2); logits/probabilities -> top1, top5.
// --save-outputs DIR writes every model output over the split as float32 .npy (batch first,
// one file per output: output<i>.npy) plus scores.npy (float64 max-sigmoid scores, if any):
// goldens for other tests. Exit 1 with a message naming the file on any error.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function die(msg) {
  process.stderr.write(`ort-eval: error: ${msg}\n`);
  process.exit(1);
}

function loadOrt() {
  const dirs = [process.env.AJPQ_ORT, '/work/ort', path.join(os.homedir(), '.cache', 'ajpq-ort')]
    .filter(Boolean);
  for (const d of dirs) {
    try {
      return createRequire(path.join(path.resolve(d), 'package.json'))('onnxruntime-node');
    } catch (e) { /* try the next one */ }
  }
  die(`onnxruntime-node not found in ${dirs.join(', ')} (see the header of this script)`);
}

// ---- .npy (v1-v3, C order; <f4 <f8 <i8 |u1) ----
function readNpy(file) {
  let buf;
  try { buf = fs.readFileSync(file); } catch (e) { die(`${file}: ${e.message}`); }
  if (buf.length < 10 || buf.readUInt8(0) !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY')
    die(`${file}: not a .npy file (bad magic)`);
  const major = buf.readUInt8(6);
  let hlen, hstart;
  if (major === 1) { hlen = buf.readUInt16LE(8); hstart = 10; }
  else if (major === 2 || major === 3) { hlen = buf.readUInt32LE(8); hstart = 12; }
  else die(`${file}: unsupported .npy version ${major}`);
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shapeM = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) die(`${file}: malformed .npy header`);
  if (fortran[1] === 'True') die(`${file}: Fortran-order arrays are not supported`);
  const shape = shapeM[1].split(',').map(s => s.trim()).filter(s => s.length).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const kinds = { '<f4': [Float32Array, 4], '<f8': [Float64Array, 8], '<i8': [BigInt64Array, 8], '|u1': [Uint8Array, 1] };
  const k = kinds[descr[1]];
  if (!k) die(`${file}: unsupported dtype ${descr[1]}`);
  const off = hstart + hlen;
  if (buf.length - off !== count * k[1]) die(`${file}: expected ${count * k[1]} data bytes, found ${buf.length - off}`);
  const copy = new Uint8Array(count * k[1]);
  copy.set(buf.subarray(off));
  return { dtype: descr[1], shape, data: new k[0](copy.buffer) };
}

function writeNpy(file, typed, shape, descr) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.writeUInt8(0x93, 0); pre.write('NUMPY', 1, 'latin1'); pre.writeUInt8(1, 6); pre.writeUInt8(0, 7);
  pre.writeUInt16LE(header.length, 8);
  const tmp = `${file}.tmp${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength)]));
  fs.renameSync(tmp, file);
}

// ---- metrics ----
function auc(scores, labels) {
  // Mann-Whitney U / (npos * nneg), ties between a positive and a negative count 1/2.
  const idx = scores.map((s, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Array(scores.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    for (let t = i; t <= j; t++) ranks[idx[t]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let npos = 0, sumPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) { npos++; sumPos += ranks[i]; }
  const nneg = labels.length - npos;
  if (npos === 0 || nneg === 0) return null;
  return (sumPos - npos * (npos + 1) / 2) / (npos * nneg);
}

function parseArgs(argv) {
  const a = { split: 'evaluation', limit: 0, batch: 0, threads: 2, json: false, save: null, manifest: null };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    const next = () => { if (i + 1 >= argv.length) die(`${v} needs a value`); return argv[++i]; };
    if (v === '--split') a.split = next();
    else if (v === '--limit') a.limit = Number(next());
    else if (v === '--batch') a.batch = Number(next());
    else if (v === '--threads') a.threads = Number(next());
    else if (v === '--save-outputs') a.save = next();
    else if (v === '--json') a.json = true;
    else if (v.startsWith('--')) die(`unknown option ${v}`);
    else if (a.manifest === null) a.manifest = v;
    else die(`unexpected argument ${v}`);
  }
  if (!a.manifest) die('usage: ort-eval.mjs MANIFEST.json [--split S] [--limit N] [--batch N] [--threads N] [--save-outputs DIR] [--json]');
  for (const k of ['limit', 'batch', 'threads'])
    if (!Number.isInteger(a[k]) || a[k] < 0) die(`--${k} must be a non-negative integer`);
  return a;
}

function resolvePath(p, dataDir) {
  if (p.startsWith('/')) return p;
  if (p.startsWith('./')) return path.join(repoRoot, p);
  return path.join(dataDir, p);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dataDir = process.env.AJPQ_DATA || path.join(os.homedir(), '.cache', 'ajpq');
  let m;
  try { m = JSON.parse(fs.readFileSync(args.manifest, 'utf8')); } catch (e) { die(`${args.manifest}: ${e.message}`); }
  const ranges = m.splits && m.splits[args.split];
  if (!Array.isArray(ranges)) die(`${args.manifest}: no split "${args.split}"`);

  const X = readNpy(resolvePath(m.data.inputs, dataDir));
  if (X.dtype !== '<f4') die(`${m.data.inputs}: inputs must be float32, got ${X.dtype}`);
  const Y = m.data.labels ? readNpy(resolvePath(m.data.labels, dataDir)) : null;
  const nAll = X.shape[0];
  const per = X.data.length / nAll;
  if (Y && Y.shape[0] !== nAll) die(`${m.data.labels}: ${Y.shape[0]} labels for ${nAll} samples`);
  let indices = [];
  for (const r of ranges) {
    if (!Array.isArray(r) || r.length !== 2 || !(r[0] >= 0 && r[0] <= r[1] && r[1] <= nAll))
      die(`${args.manifest}: bad range ${JSON.stringify(r)} in split "${args.split}" (${nAll} samples)`);
    for (let i = r[0]; i < r[1]; i++) indices.push(i);
  }
  if (args.limit > 0) indices = indices.slice(0, args.limit);
  const n = indices.length;

  const ort = loadOrt();
  const modelPath = resolvePath(m.model.onnx, dataDir);
  let sess;
  try {
    sess = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: args.threads, interOpNumThreads: 1, executionMode: 'sequential',
      logSeverityLevel: 3, graphOptimizationLevel: 'all' });
  } catch (e) { die(`${modelPath}: ${e.message}`); }
  const inName = sess.inputNames[0];
  const meta = sess.inputMetadata ? sess.inputMetadata[0] : null;
  const dim0 = meta && Array.isArray(meta.shape) ? meta.shape[0] : 1;
  const batch = args.batch || (typeof dim0 === 'number' && dim0 > 0 ? dim0 : 100);
  if (typeof dim0 === 'number' && dim0 > 0 && batch !== dim0) die(`${modelPath}: static batch ${dim0}, --batch ${batch}`);

  const pp = m.postprocess || { kind: 'logits', outputs: [0] };
  const outs = sess.outputNames;
  const saved = outs.map(() => []);
  const savedShape = outs.map(() => null);
  const scores = [];
  const preds = []; // [top1, top5 list]
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < n; b += batch) {
    const bs = Math.min(batch, n - b);
    const buf = new Float32Array(bs * per);
    for (let j = 0; j < bs; j++) buf.set(X.data.subarray(indices[b + j] * per, (indices[b + j] + 1) * per), j * per);
    const feeds = { [inName]: new ort.Tensor('float32', buf, [bs, ...X.shape.slice(1)]) };
    const res = await sess.run(feeds);
    const vals = outs.map(o => res[o]);
    if (args.save) vals.forEach((t, k) => { saved[k].push(Float32Array.from(t.data)); savedShape[k] = t.dims.slice(1); });
    for (let j = 0; j < bs; j++) {
      if (pp.kind === 'max_sigmoid') {
        let s = -Infinity;
        for (const k of pp.outputs) {
          const t = vals[k]; const per2 = t.data.length / bs;
          for (let e = j * per2; e < (j + 1) * per2; e++) s = Math.max(s, 1 / (1 + Math.exp(-t.data[e])));
        }
        scores.push(s);
      } else if (pp.kind === 'logits' || pp.kind === 'probabilities') {
        const t = vals[pp.outputs[0]]; const c = t.data.length / bs;
        const row = Array.from(t.data.subarray(j * c, (j + 1) * c));
        const order = row.map((v, i) => i).sort((p, q) => row[q] - row[p] || p - q);
        preds.push(order.slice(0, 5));
      } else die(`${args.manifest}: unknown postprocess kind ${pp.kind}`);
    }
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;

  const out = { name: m.name, split: args.split, n, metric: m.metric,
    runtime: `onnxruntime-node ${ort.env && ort.env.versions ? ort.env.versions.common : ''}`.trim(),
    latency_ms_per_sample: Number((ms / n).toFixed(4)), threads: args.threads };
  const labels = Y ? indices.map(i => Number(Y.data[i])) : null;
  if (pp.kind === 'max_sigmoid') {
    const thr = m.threshold ?? 0.5;
    out.threshold = thr;
    if (labels) {
      let ok = 0;
      for (let i = 0; i < n; i++) if ((scores[i] >= thr ? 1 : 0) === labels[i]) ok++;
      out.accuracy = ok / n;
      out.auc = auc(scores, labels);
    }
  } else if (labels) {
    let t1 = 0, t5 = 0;
    for (let i = 0; i < n; i++) { if (preds[i][0] === labels[i]) t1++; if (preds[i].includes(labels[i])) t5++; }
    out.top1 = t1 / n; out.top5 = t5 / n;
  }
  out.value = out[m.metric] ?? null;

  if (args.save) {
    fs.mkdirSync(args.save, { recursive: true });
    saved.forEach((chunks, k) => {
      const all = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
      let o = 0; for (const c of chunks) { all.set(c, o); o += c.length; }
      writeNpy(path.join(args.save, `output${k}.npy`), all, [n, ...savedShape[k]], '<f4');
    });
    if (scores.length) writeNpy(path.join(args.save, 'scores.npy'), Float64Array.from(scores), [n], '<f8');
  }
  if (args.json) {
    process.stdout.write(JSON.stringify(out) + '\n');
  } else {
    for (const [k, v] of Object.entries(out)) process.stdout.write(`${k.padEnd(24)} ${v}\n`);
  }
}

main().catch(e => die(e && e.message ? e.message : String(e)));
