// usage: node scripts/ort-npy.mjs model.onnx input.npy outdir   (ONNX Runtime for node from /work/ort; input f32 npy [N,...]; feeds one sample at a time with batch 1, graph optimisations off; writes outdir/outK.npy)
import fs from 'node:fs'; import path from 'node:path'; import { createRequire } from 'node:module';
const require = createRequire('/work/ort/node_modules/x.js'); const ort = require('onnxruntime-node');
const [model, inp, outDir] = process.argv.slice(2);
const buf = fs.readFileSync(inp); const hl = buf.readUInt16LE(8); const hdr = buf.slice(10, 10+hl).toString('latin1');
const shape = hdr.match(/\(([^)]*)\)/)[1].split(',').map(s=>s.trim()).filter(s=>s).map(Number);
const data = new Float32Array(buf.buffer.slice(buf.byteOffset+10+hl, buf.byteOffset+buf.length));
function writeNpy(file, arr, dims){const shape=dims.length===1?`(${dims[0]},)`:`(${dims.join(', ')})`;let h=`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;const pad=64-((10+h.length+1)%64);h=h+' '.repeat(pad%64)+'\n';const pre=Buffer.alloc(10);pre.write('\x93NUMPY',0,'latin1');pre[6]=1;pre[7]=0;pre.writeUInt16LE(h.length,8);fs.writeFileSync(file,Buffer.concat([pre,Buffer.from(h,'latin1'),Buffer.from(arr.buffer,arr.byteOffset,arr.byteLength)]));}
fs.mkdirSync(outDir,{recursive:true});
const sess = await ort.InferenceSession.create(model,{intraOpNumThreads:1,graphOptimizationLevel:'disabled',logSeverityLevel:3});
const N = shape[0], per = data.length / N; const outs = sess.outputNames.map(()=>[]); let od=[];
for (let s=0;s<N;++s){ const r = await sess.run({[sess.inputNames[0]]: new ort.Tensor('float32', data.slice(s*per,(s+1)*per), [1, ...shape.slice(1)])});
  sess.outputNames.forEach((k,i)=>{outs[i].push(r[k].data); od[i]=r[k].dims;}); }
outs.forEach((l,i)=>{ const n=l[0].length; const a=new Float32Array(n*N); l.forEach((d,s)=>a.set(d,s*n)); const d=od[i].slice(); d[0]*=N; writeNpy(path.join(outDir,`out${i}.npy`), a, d); });
