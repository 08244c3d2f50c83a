#!/usr/bin/env node
// Regenerates the ONNX Runtime goldens of the BlazeFace import test
// (test/onnx/golden/, checked by test/onnx/blazeface.test through the
// importer + upstream MLIR JIT: ajpq-onnx-conformance --model ... --golden ...).
//
//   node scripts/gen-onnx-goldens.mjs
//
// Inputs are NOT stored: both this script and the C runner generate them from a
// seed with mulberry32 (32-bit integer PRNG, identical in JS and C):
//   u = mulberry32() / 2^32 (double), x = float32(2u - 1)  -> uniform in [-1, 1)
// filled in the model input's row-major order (NHWC [1,H,W,3]).
// Output: golden/<model>.out<i>.npy (float32, C order), one per model output,
// in graph-output order.
//
// onnxruntime-node@1.30.0 is not a dependency of the repository; install it
// outside the checkout: mkdir -p /work/ort && cd /work/ort &&
//   npm install --ignore-scripts onnxruntime-node@1.30.0
// and point AJPQ_ORT at that folder (default /work/ort). Models come from the
// data cache ${AJPQ_DATA:-$HOME/.cache/ajpq}/blazeface/ (make data).
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ortDir = process.env.AJPQ_ORT || '/work/ort';
const data = process.env.AJPQ_DATA || path.join(os.homedir(), '.cache', 'ajpq');
const require = createRequire(path.join(ortDir, 'node_modules', 'x.js'));
let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  process.stderr.write(`gen-onnx-goldens: error: cannot load onnxruntime-node from ${ortDir}: ${e.message}\n`);
  process.exit(1);
}

const MODELS = [
  { name: 'blazeface-front', file: 'blazeface/face_detection_front_128x128_barracuda.onnx', seed: 1, shape: [1, 128, 128, 3] },
  { name: 'blazeface-back', file: 'blazeface/face_detection_back_256x256_barracuda.onnx', seed: 2, shape: [1, 256, 256, 3] },
];

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
  };
}

function writeNpy(file, arr, dims) {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

const outDir = path.join(repo, 'test', 'onnx', 'golden');
fs.mkdirSync(outDir, { recursive: true });
for (const m of MODELS) {
  const file = path.join(data, m.file);
  if (!fs.existsSync(file)) {
    process.stderr.write(`gen-onnx-goldens: error: ${file} missing (run make data)\n`);
    process.exit(1);
  }
  const sess = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  const n = m.shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  const rnd = mulberry32(m.seed);
  for (let i = 0; i < n; ++i) x[i] = 2 * (rnd() / 4294967296) - 1;
  const feeds = { [sess.inputNames[0]]: new ort.Tensor('float32', x, m.shape) };
  const res = await sess.run(feeds);
  sess.outputNames.forEach((name, i) => {
    const t = res[name];
    const f = path.join(outDir, `${m.name}.out${i}.npy`);
    writeNpy(f, t.data, t.dims);
    process.stdout.write(`${path.relative(repo, f)}: ${name} [${t.dims.join(',')}] x[0]=${x[0]} y[0]=${t.data[0]}\n`);
  });
}
