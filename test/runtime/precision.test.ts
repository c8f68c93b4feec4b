/**
 * The fp16 / int8 / ORT-optimised twins of the tiny fixtures (tools/make_quant_fixtures.py) run
 * through the inference process like their fp32 twin: the input fed in the model's type, top-1
 * equal to PyTorch's, logits within the precision's error, attention maps found in every graph that
 * has a Softmax and correlating with the fp32 twin's; a fused Attention graph says why its
 * attention cannot be tapped.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { useOrtAllTwins } from './ortAllTwins';
import { useRuntime } from './useRuntime';
import { argmax, maxAbs } from '../unit/helpers/maxAbs';

const fixtures = resolve('test/fixtures');

interface Reference {
  images: { image: string; logits: number[]; attention?: { shape: number[]; data: number[] }[] }[];
}

/** Pearson correlation. */
function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    const y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * [file, fp32 twin, logit tolerance, map correlation]. Logit tolerances: fp16 1e-2 and ORT-optimised
 * 1e-4 (the issue's); int8 5% of the largest |logit| — these tiny random-weight models (width 16–32)
 * lose more to 8-bit activations than real ones: measured 0.055–0.14 on logits up to 3.6.
 */
/**
 * ONNX Runtime's u8s8 int8 matmul on x86 without VNNI (AVX2 only) adds pairs of products in int16
 * with saturation, so dynamically quantized weights made without reduce_range lose more there:
 * measured on an AMD EPYC with AVX2 only: ViT 6.4% of the largest logit; Swin up to 30% (checker.png,
 * top-1 still PyTorch's), attention correlation down to 0.830. With VNNI (the fixtures' machine) 5% and
 * 0.99 hold. The loose bounds below apply only without VNNI; a real model's int8 export should use
 * reduce_range there (what the README's "Which files work" says).
 */
const VNNI = (() => {
  try {
    return /\b(avx512_vnni|avx_vnni)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return true; // not Linux: keep the tight bound
  }
})();
const INT8_RELATIVE = VNNI ? 0.05 : 0.35;
const INT8_CORR = VNNI ? 0.99 : 0.8;

const KINDS: [string, string, number | 'relative' | 'relative-dyn', number][] = [
  ['tiny_vit_fp16', 'tiny_vit', 1e-2, 0.99],
  ['tiny_vit_int8_dyn', 'tiny_vit', 'relative-dyn', INT8_CORR],
  ['tiny_vit_qdq', 'tiny_vit', 'relative', 0.99],
  ['tiny_vit_ort_extended', 'tiny_vit', 1e-4, 0.9999],
  ['tiny_vit_ort_all', 'tiny_vit', 1e-4, 0.9999],
  ['tiny_swin_fp16', 'tiny_swin', 1e-2, 0.99],
  ['tiny_swin_int8_dyn', 'tiny_swin', 'relative-dyn', INT8_CORR],
  ['tiny_swin_qdq', 'tiny_swin', 'relative', 0.99],
  ['tiny_swin_ort_extended', 'tiny_swin', 1e-4, 0.9999],
  ['tiny_swin_ort_all', 'tiny_swin', 1e-4, 0.9999],
];

describe('fp16, int8, QDQ and ORT-optimised models through the inference process', function () {
  this.timeout(120_000);
  const client = useRuntime();
  // the *_ort_all files run are twins optimised here (ortAllTwins.ts: the committed ones are tied to the CPU that made them)
  const twins = useOrtAllTwins();
  const model = (n: string): string => twins.path(n);
  const ref = (n: string): Reference => JSON.parse(readFileSync(resolve(fixtures, 'reference', `${n}.json`), 'utf8'));
  const images = (n: string): string[] => ref(n).images.map((i) => resolve(fixtures, 'images', i.image.split('/').pop()!));
  const twinMaps = new Map<string, Promise<Float32Array[][]>>();
  const maps = async (n: string): Promise<Float32Array[][]> => {
    const out: Float32Array[][] = [];
    for (const image of images(n.replace(/_(fp16|int8_dyn|qdq|ort_extended|ort_all|int4)$/, ''))) {
      const r = await client.request('attention', { model: model(n), image, order: ['cpu'] });
      out.push(r.layers.map((l: { data: Float32Array | null }) => l.data!));
    }
    return out;
  };

  for (const [name, twin, tol, corr] of KINDS) {
    it(`${name}: top-1 as PyTorch's fp32 ${twin}, logits within ${tol === 'relative' ? '5% of the largest' : tol === 'relative-dyn' ? `${INT8_RELATIVE * 100}% of the largest` : tol}`, async () => {
      const r = await client.request('classify', { model: model(name), images: images(twin), topK: 3, order: ['cpu'] });
      // The preprocessing is the model's own file, not ImageNet defaults that happen to agree with it.
      assert.equal(r.preprocessing.source, `${name}.json`);
      ref(twin).images.forEach((img, i) => {
        const res = r.results[i];
        assert.ok(res.ok, res.ok ? '' : res.error);
        assert.equal(argmax(res.logits), argmax(img.logits), img.image);
        const bound = tol === 'relative' || tol === 'relative-dyn' ? (tol === 'relative' ? 0.05 : INT8_RELATIVE) * Math.max(...img.logits.map(Math.abs)) : tol;
        const d = maxAbs(res.logits, img.logits);
        assert.ok(d <= bound, `${img.image}: max |Δlogit| = ${d} > ${bound}`);
      });
    });

    it(`${name}: attention of every block found, float32, on the fp32 twin's token grid, correlating ≥ ${corr} with it`, async () => {
      if (!twinMaps.has(twin)) twinMaps.set(twin, maps(twin));
      const want = await twinMaps.get(twin)!;
      const got = await maps(name);
      assert.equal(got.length, want.length);
      let worst = { c: Infinity, at: '' };
      for (let i = 0; i < got.length; i++) {
        assert.equal(got[i].length, want[i].length, 'blocks');
        for (let l = 0; l < got[i].length; l++) {
          assert.ok(got[i][l] instanceof Float32Array);
          const c = correlation(got[i][l], want[i][l]);
          if (!(c >= worst.c)) worst = { c, at: `image ${i} block ${l}` };
        }
      }
      assert.ok(worst.c >= corr, `${worst.at}: correlation ${worst.c} (the lowest)`);
    });
  }

  it('tiny_vit_int4 (com.microsoft.MatMulNBits, 4-bit weights): logits and attention equal PyTorch\'s on its dequantized weights, top-1 as its fp32 twin\'s', async () => {
    const want = ref('tiny_vit_int4');
    const fp32 = ref('tiny_vit');
    assert.deepEqual(want.images.map((i) => i.image), fp32.images.map((i) => i.image));
    const r = await client.request('classify', { model: model('tiny_vit_int4'), images: images('tiny_vit'), topK: 3, order: ['cpu'] });
    assert.equal(r.preprocessing.source, 'tiny_vit_int4.json');
    want.images.forEach((img, i) => {
      const res = r.results[i];
      assert.ok(res.ok, res.ok ? '' : res.error);
      // The 4-bit weights are what runs: the fp32 twin's logits are far off the reference (0.1–0.4 here).
      assert.ok(maxAbs(img.logits, fp32.images[i].logits) > 1e-2, `${img.image}: the int4 reference is no different from fp32`);
      const d = maxAbs(res.logits, img.logits);
      assert.ok(d <= 1e-4, `${img.image}: max |Δlogit| = ${d} against PyTorch on the dequantized weights`);
      assert.equal(argmax(res.logits), argmax(fp32.images[i].logits), `${img.image}: top-1 as fp32 tiny_vit`);
    });
    // Attention: both blocks' maps found, equal to PyTorch's softmax on the dequantized weights.
    const got = await maps('tiny_vit_int4');
    assert.equal(got.length, want.images.length);
    want.images.forEach((img, i) => {
      assert.equal(got[i].length, img.attention!.length, 'blocks');
      img.attention!.forEach((a, l) => {
        const d = maxAbs(got[i][l], a.data);
        assert.ok(d <= 1e-5, `${img.image} block ${l}: max |Δ| = ${d} against PyTorch's attention`);
      });
    });
  });

  it('the attention of a ViT layer leaves the class token out and keeps the twin\'s grid (QDQ)', async () => {
    const image = images('tiny_vit')[0];
    const a = await client.request('attention', { model: model('tiny_vit_qdq'), image, order: ['cpu'] });
    const b = await client.request('attention', { model: model('tiny_vit'), image, order: ['cpu'] });
    assert.deepEqual(a.layers.map((l: { grid: number[]; extraTokens: number }) => [l.grid, l.extraTokens]), b.layers.map((l: { grid: number[]; extraTokens: number }) => [l.grid, l.extraTokens]));
    assert.deepEqual(a.layers[0].grid, [4, 4]);
    assert.equal(a.layers[0].extraTokens, 1);
  });

  it('fused com.microsoft.Attention: classifies like its twin; attention refused with the reason', async () => {
    const r = await client.request('classify', { model: model('tiny_vit_fused_attention'), images: images('tiny_vit'), topK: 3, order: ['cpu'] });
    ref('tiny_vit').images.forEach((img, i) => {
      const res = r.results[i];
      assert.ok(res.ok, res.ok ? '' : res.error);
      assert.ok(maxAbs(res.logits, img.logits) <= 1e-4);
    });
    await assert.rejects(client.request('attention', { model: model('tiny_vit_fused_attention'), image: images('tiny_vit')[0], order: ['cpu'] }), {
      name: 'UserError',
      message: /fused operators \(com\.microsoft\.Attention ×2\).*no attention tensor to tap/,
    });
  });
});
