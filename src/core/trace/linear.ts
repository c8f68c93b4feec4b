/**
 * The position-wise pieces of a block, for one token: LayerNorm, a linear layer x·Wᵀ + b (PyTorch's
 * weight layout [out, in]; ONNX MatMul weights are [in, out], say which), GELU, and the patch
 * embedding as the ViT paper writes it: the p×p×3 patch flattened, times E, plus b.
 */

/** LayerNorm over the last axis: (x − mean)/√(var + eps)·γ + β, the biased variance as PyTorch. */
export function layerNorm(x: ArrayLike<number>, gamma?: ArrayLike<number>, beta?: ArrayLike<number>, eps = 1e-5): number[] {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let vr = 0;
  for (let i = 0; i < n; i++) vr += (x[i] - mean) ** 2;
  vr /= n;
  const inv = 1 / Math.sqrt(vr + eps);
  return Array.from(x, (v, i) => (v - mean) * inv * (gamma ? gamma[i] : 1) + (beta ? beta[i] : 0));
}

/**
 * y = x·Wᵀ + b with W [out, in] row-major (layout "outIn", PyTorch's Linear/Conv) or y = x·W + b with
 * W [in, out] (layout "inOut", an ONNX MatMul's initializer).
 */
export function linear(x: ArrayLike<number>, weight: ArrayLike<number>, bias: ArrayLike<number> | undefined, layout: 'outIn' | 'inOut'): number[] {
  const nIn = x.length;
  const nOut = weight.length / nIn;
  if (!Number.isInteger(nOut)) throw new Error(`A weight of ${weight.length} values does not fit an input of ${nIn}.`);
  const out = new Array<number>(nOut);
  for (let o = 0; o < nOut; o++) {
    let s = bias ? bias[o] : 0;
    if (layout === 'outIn') for (let i = 0; i < nIn; i++) s += weight[o * nIn + i] * x[i];
    else for (let i = 0; i < nIn; i++) s += weight[i * nOut + o] * x[i];
    out[o] = s;
  }
  return out;
}

/** GELU, the exact erf form (nn.GELU's default). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** GELU's tanh approximation, 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))): nn.GELU(approximate='tanh'), ONNX Runtime's FastGelu. */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/** erf to double precision: its Maclaurin series below 2.5, the continued fraction of erfc above. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    // Maclaurin series: converges well here in double precision
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // continued fraction for erfc
    let f = 0;
    for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return x < 0 ? -r : r;
}

/**
 * The token's patch: the p×p×3 pixels of patch (row, col) of a preprocessed [3, H, W] input,
 * flattened channel-major as the Conv's weight [C, 3, p, p] is — so patch · E + b is the Conv's output.
 */
export function patchPixels(input: ArrayLike<number>, H: number, W: number, p: number, row: number, col: number, channels = 3): number[] {
  const out: number[] = [];
  for (let c = 0; c < channels; c++) for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) out.push(input[c * H * W + (row * p + i) * W + col * p + j]);
  return out;
}

/** patch · E + b with E the patch-embedding Conv's weight [C, 3, p, p] (= [C, 3p²]). */
export function patchEmbedding(patch: ArrayLike<number>, convWeight: ArrayLike<number>, convBias?: ArrayLike<number>): number[] {
  return linear(patch, convWeight, convBias, 'outIn');
}
