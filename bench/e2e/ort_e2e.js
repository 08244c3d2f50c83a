// ort_e2e.js — ONNX Runtime (onnxruntime-node, CPU, fp32) at batch 1 for bench/e2e/run.sh.
// Usage: node ort_e2e.js model.onnx inputs.npy THREADS ROUNDS IMAGES
// After a warm-up (max(IMAGES, 3) runs), each round runs IMAGES consecutive samples (one
// session.run each); prints one JSON line: median and minimum over rounds of ms per image (wall),
// CPU ms per image of the whole timed part (process.cpuUsage: user+system, all threads of the
// node process) and the sum of the first output on sample 0 (cross-check with the other
// variants). ORT comes from $AJPQ_ORT_DIR/node_modules (default /work/ort), installed outside the
// repository with `npm install --ignore-scripts onnxruntime-node@1.30.0`.
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
  const [model, inputs, threadsS, roundsS, imagesS] = process.argv.slice(2);
  const threads = Number(threadsS), rounds = Number(roundsS), images = Number(imagesS);
  if (!(threads >= 1 && rounds >= 1 && images >= 1)) throw new Error('bad THREADS/ROUNDS/IMAGES');
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all', logSeverityLevel: 3,
  });
  const x = readNpyF32(inputs);
  const per = x.data.length / x.shape[0];
  const feeds = [];
  for (let i = 0; i < images; ++i) {
    const s = i % x.shape[0];
    const f = {};
    f[sess.inputNames[0]] = new ort.Tensor('float32', x.data.slice(s * per, (s + 1) * per),
                                           [1, ...x.shape.slice(1)]);
    feeds.push(f);
  }
  for (let i = 0; i < Math.max(images, 3); ++i) await sess.run(feeds[i % images]); // warm-up
  const times = [];
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < rounds; ++r) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < images; ++i) await sess.run(feeds[i]);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6 / images);
  }
  const cpu = process.cpuUsage(cpu0);
  const out = await sess.run(feeds[0]);
  const first = out[sess.outputNames[0]].data;
  let sum = 0;
  for (let i = 0; i < first.length; ++i) sum += first[i];
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({
    ms_per_sample: times[Math.floor(times.length / 2)], min_ms_per_sample: times[0],
    cpu_ms_per_sample: (cpu.user + cpu.system) / 1e3 / (rounds * images),
    rounds, images, out0_sum: sum,
  }));
}
main().catch(e => { console.error('ort_e2e: error: ' + (e.message || e)); process.exit(1); });
