// ort_e2e.js — ONNX Runtime (onnxruntime-node, CPU, fp32) at batch 1 for bench/e2e/run.sh.
// Usage: node ort_e2e.js model.onnx inputs.npy THREADS ROUNDS IMAGES
// After a warm-up (max(IMAGES, 3) runs), each round runs IMAGES consecutive samples (one
// session.run each); prints one JSON line: median and minimum over rounds of ms per image (wall),
// CPU ms per image of the whole timed part (process.cpuUsage: user+system, all threads of the
// node process) and the sum of the first output on sample 0 (cross-check with the other
// variants). Session, inputs and timing: ../ort_common.js (shared with the executor benchmark).
'use strict';
const { readNpyF32, createSession, makeFeed, timeRounds } = require('../ort_common.js');

async function main() {
  const [model, inputs, threadsS, roundsS, imagesS] = process.argv.slice(2);
  const threads = Number(threadsS), rounds = Number(roundsS), images = Number(imagesS);
  if (!(threads >= 1 && rounds >= 1 && images >= 1)) throw new Error('bad THREADS/ROUNDS/IMAGES');
  const sess = await createSession(model, threads);
  const x = readNpyF32(inputs);
  const feeds = [];
  for (let i = 0; i < images; ++i) feeds.push(makeFeed(sess, x, i, 1));
  for (let i = 0; i < Math.max(images, 3); ++i) await sess.run(feeds[i % images]); // warm-up
  const t = await timeRounds(sess, feeds, rounds, images);
  const out = await sess.run(feeds[0]);
  const first = out[sess.outputNames[0]].data;
  let sum = 0;
  for (let i = 0; i < first.length; ++i) sum += first[i];
  console.log(JSON.stringify({
    ms_per_sample: t.ms_per_sample, min_ms_per_sample: t.min_ms_per_sample,
    cpu_ms_per_sample: t.cpu_ms_per_sample, rounds, images, out0_sum: sum,
  }));
}
main().catch(e => { console.error('ort_e2e: error: ' + (e.message || e)); process.exit(1); });
