// Unpack one nsfwjs model directory (spec analogues.md 9.1): model.min.js -> model.json, each
// group*-shard*.min.js (a base64 string) -> the decoded shard; the shard bytes must add up to the
// manifest's tensors. Usage: node nsfwjs_extract.cjs package/dist/models/mobilenet_v2 OUTDIR
const fs = require('fs'), path = require('path');
const [src, out] = process.argv.slice(2).map((p) => path.resolve(p));
fs.mkdirSync(out, { recursive: true });
let bytes = 0, want = 0;
for (const f of fs.readdirSync(src).filter((f) => f.endsWith('.min.js')).sort()) {
  const v = require(path.join(src, f)), name = f.slice(0, -'.min.js'.length);
  if (name === 'model') { fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify(v)); continue; }
  const buf = Buffer.from(v, 'base64'); bytes += buf.length; fs.writeFileSync(path.join(out, name), buf);
}
const size = { uint8: 1, int8: 1, uint16: 2, float16: 2, float32: 4, int32: 4 };
for (const g of JSON.parse(fs.readFileSync(path.join(out, 'model.json'))).weightsManifest)
  for (const w of g.weights) want += w.shape.reduce((a, b) => a * b, 1) * size[(w.quantization || w).dtype];
if (bytes !== want) { console.error(`${src}: shards hold ${bytes} bytes, the manifest needs ${want}`); process.exit(1); }
console.log(`${out}: model.json and ${bytes} shard bytes`);
