// ort_common.js — what the ONNX Runtime benchmarks share (bench/e2e/ort_e2e.js,
// bench/executor/ort_bench.js): loading onnxruntime-node, reading float32 .npy inputs, the
// session options (CPU, fp32, all graph optimizations, sequential, one inter-op thread), feeds of
// consecutive samples, and the timed loop (median/minimum ms per sample over rounds, CPU ms per
// sample of the whole timed part).
// ORT is resolved from $AJPQ_ORT_DIR/node_modules (default /work/ort), installed outside the
// repository with `npm install --ignore-scripts onnxruntime-node@1.30.0`.
'use strict';
const fs = require('fs');
const path = require('path');
const ortDir = process.env.AJPQ_ORT_DIR || '/work/ort';
const ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));

// Reads a little-endian float32 .npy file (version 1/2/3, C order): {shape, data}.
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

// An inference session with `threads` intra-op threads (CPU execution provider).
function createSession(model, threads) {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all', logSeverityLevel: 3,
  });
}

// A feed for the session's first input: `count` consecutive samples of x from sample `start`
// (wrapping around), shape [count, ...per-sample shape].
function makeFeed(sess, x, start, count) {
  const per = x.data.length / x.shape[0];
  const buf = new Float32Array(count * per);
  for (let i = 0; i < count; ++i) {
    const s = (start + i) % x.shape[0];
    buf.set(x.data.subarray(s * per, (s + 1) * per), i * per);
  }
  const f = {};
  f[sess.inputNames[0]] = new ort.Tensor('float32', buf, [count, ...x.shape.slice(1)]);
  return f;
}

// Times `rounds` rounds; each round runs every feed once, in order, and counts as
// `samplesPerRound` samples. Returns {ms_per_sample (median over rounds), min_ms_per_sample,
// cpu_ms_per_sample (process.cpuUsage user+system of the whole loop, all threads), out (the last
// outputs)}.
async function timeRounds(sess, feeds, rounds, samplesPerRound) {
  const times = [];
  let out = null;
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < rounds; ++r) {
    const t0 = process.hrtime.bigint();
    for (const f of feeds) out = await sess.run(f);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6 / samplesPerRound);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return {
    ms_per_sample: times[Math.floor(times.length / 2)], min_ms_per_sample: times[0],
    cpu_ms_per_sample: (cpu.user + cpu.system) / 1e3 / (rounds * samplesPerRound), out,
  };
}

module.exports = { ort, readNpyF32, createSession, makeFeed, timeRounds };
