// ort_bench.js — ONNX Runtime (onnxruntime-node, CPU) throughput on one model, for the executor
// benchmark (bench/executor/run.sh). Usage:
//   node ort_bench.js model.onnx inputs.npy batch threads rounds
// Prints one JSON line: {"ms_per_sample": median, "min_ms_per_sample": min, ...}.
// ORT is resolved from $AJPQ_ORT_DIR/node_modules (default /work/ort), installed offline with
// `npm install --ignore-scripts onnxruntime-node@1.30.0` outside the repository.
'use strict';
const fs = require('fs');
const path = require('path');
const ortDir = process.env.AJPQ_ORT_DIR || '/work/ort';
const ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));

function readNpyF32(p) {
  const b = fs.readFileSync(p);
  if (b.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(p + ': not a .npy file');
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const off = (major === 1 ? 10 : 12) + hlen;
  const header = b.toString('latin1', major === 1 ? 10 : 12, off);
  if (!header.includes("'<f4'")) throw new Error(p + ': expected float32');
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter(s => s.trim()).map(Number);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length));
  return { shape, data };
}

async function main() {
  const [model, inputs, batchS, threadsS, roundsS] = process.argv.slice(2);
  const batch = Number(batchS), threads = Number(threadsS), rounds = Number(roundsS || 20);
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all', logSeverityLevel: 3,
  });
  const x = readNpyF32(inputs);
  const per = x.data.length / x.shape[0];
  // A model whose input has a fixed leading dim of 1 (BlazeFace) cannot take a batch: then a
  // "batch" is `batch` consecutive single-sample runs (what the executor does for CNNs too).
  const meta = sess.inputMetadata ? sess.inputMetadata[0] : null;
  const fixed1 = meta && meta.shape && meta.shape[0] === 1;
  const runBatch = fixed1 ? 1 : batch;
  const calls = fixed1 ? batch : 1;
  const shape = [runBatch, ...x.shape.slice(1)];
  const feeds = [];
  for (let c = 0; c < calls; ++c) {
    const buf = new Float32Array(runBatch * per);
    for (let i = 0; i < runBatch; ++i) {
      const s = (c * runBatch + i) % x.shape[0];
      buf.set(x.data.subarray(s * per, (s + 1) * per), i * per);
    }
    const f = {};
    f[sess.inputNames[0]] = new ort.Tensor('float32', buf, shape);
    feeds.push(f);
  }
  let out;
  try {
    out = await sess.run(feeds[0]); // warm-up (also checks that the model accepts this batch)
  } catch (e) {
    console.log(JSON.stringify({ error: String(e.message || e).split('\n')[0] }));
    return;
  }
  const times = [];
  for (let r = 0; r < rounds; ++r) {
    const t0 = process.hrtime.bigint();
    for (let c = 0; c < calls; ++c) out = await sess.run(feeds[c]);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6 / batch);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({
    ms_per_sample: times[Math.floor(times.length / 2)], min_ms_per_sample: times[0],
    batch, threads, rounds, calls_per_batch: calls, outputs: Object.keys(out).length,
  }));
}
main().catch(e => { console.error('ort_bench: error: ' + (e.message || e)); process.exit(1); });
