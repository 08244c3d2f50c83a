// ort_bench.js — ONNX Runtime (onnxruntime-node, CPU) throughput on one model, for the executor
// benchmark (bench/executor/run.sh). Usage:
//   node ort_bench.js model.onnx inputs.npy batch threads rounds
// Prints one JSON line: {"ms_per_sample": median, "min_ms_per_sample": min, "cpu_ms_per_sample",
// ...}, or {"error": ...} when the model does not accept the batch. Session, inputs and timing:
// ../ort_common.js (shared with the end-to-end benchmark).
'use strict';
const { readNpyF32, createSession, makeFeed, timeRounds } = require('../ort_common.js');

async function main() {
  const [model, inputs, batchS, threadsS, roundsS] = process.argv.slice(2);
  const batch = Number(batchS), threads = Number(threadsS), rounds = Number(roundsS || 20);
  const sess = await createSession(model, threads);
  const x = readNpyF32(inputs);
  // A model whose input has a fixed leading dim of 1 (BlazeFace) cannot take a batch: then a
  // "batch" is `batch` consecutive single-sample runs (what the executor does for CNNs too).
  const meta = sess.inputMetadata ? sess.inputMetadata[0] : null;
  const fixed1 = meta && meta.shape && meta.shape[0] === 1;
  const runBatch = fixed1 ? 1 : batch;
  const calls = fixed1 ? batch : 1;
  const feeds = [];
  for (let c = 0; c < calls; ++c) feeds.push(makeFeed(sess, x, c * runBatch, runBatch));
  let out;
  try {
    out = await sess.run(feeds[0]); // warm-up (also checks that the model accepts this batch)
  } catch (e) {
    console.log(JSON.stringify({ error: String(e.message || e).split('\n')[0] }));
    return;
  }
  const t = await timeRounds(sess, feeds, rounds, batch);
  out = t.out;
  console.log(JSON.stringify({
    ms_per_sample: t.ms_per_sample, min_ms_per_sample: t.min_ms_per_sample,
    cpu_ms_per_sample: t.cpu_ms_per_sample,
    batch, threads, rounds, calls_per_batch: calls, outputs: Object.keys(out).length,
  }));
}
main().catch(e => { console.error('ort_bench: error: ' + (e.message || e)); process.exit(1); });
