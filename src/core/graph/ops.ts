/**
 * Named sets of ONNX op types, the one place the analysis says which ops a search may pass
 * through or stops at. A new exporter's or runtime's spelling of an op (a quantized MatMul, a
 * com.microsoft fusion) is added here once, and every search sees it.
 */
export type OpSet = ReadonlySet<string>;

const set = (...parts: (readonly string[] | OpSet)[]): OpSet => new Set(parts.flatMap((p) => [...p]));

/**
 * Quantization steps: the value they pass on is the float tensor up to rounding (ONNX Q/DQ,
 * ORT's dynamic quantization of activations).
 */
export const QUANTIZE_OPS = set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear']);

/** Ops that hand their (first) input on unchanged in value (up to precision). */
export const PASS_THROUGH = set(['Identity', 'Dropout', 'Cast', 'Contiguous'], QUANTIZE_OPS);

/** Ops that only rearrange a tensor's elements. */
export const RESHAPE_OPS = set(['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', /* com.microsoft.nchwc layout */ 'ReorderInput', 'ReorderOutput']);

/** Element-wise arithmetic with a second operand (scales, biases, masks). */
export const ARITH_OPS = set(['Add', 'Sub', 'Mul', 'Div']);

/** Ops that select, join or pad tokens without computing new values. */
export const TOKEN_LAYOUT = set(RESHAPE_OPS, PASS_THROUGH, ['Gather', 'Slice', 'Split', 'Concat', 'Expand', 'Pad']);

/**
 * Matrix products, float and quantized/fused twins: ONNX MatMul, Gemm, MatMulInteger,
 * QLinearMatMul; com.microsoft FusedMatMul (alpha and transposes folded in), MatMulNBits (4-bit
 * blocks), MatMulIntegerToFloat, DynamicQuantizeMatMul.
 */
export const MATMUL_LIKE = set(['MatMul', 'Gemm', 'MatMulInteger', 'QLinearMatMul', 'FusedMatMul', 'MatMulNBits', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul']);

/** Convolutions: ONNX Conv, ConvTranspose, ConvInteger, QLinearConv; com.microsoft FusedConv (and nchwc.Conv, also 'Conv'). */
export const CONV_LIKE = set(['Conv', 'ConvTranspose', 'ConvInteger', 'QLinearConv', 'FusedConv']);

/** Attention computed by one op (projections, Softmax and A·V inside): nothing to tap. */
export const FUSED_ATTENTION = set(['Attention', 'MultiHeadAttention', 'PackedAttention', 'PackedMultiHeadAttention', 'GroupQueryAttention',
  'DecoderMaskedMultiHeadAttention', 'DecoderMaskedSelfAttention', 'SparseAttention', 'QAttention', 'QOrderedAttention', 'LongformerAttention']);

/** Input index of the weight of a MatMul-/Conv-like op (QLinear ops put scales and zero points first). */
export function weightInput(op: string): number {
  return op === 'QLinearMatMul' || op === 'QLinearConv' ? 3 : 1;
}

/** Normalisations as one op (ONNX and com.microsoft fusions). */
export const NORM_OPS = set([
  'LayerNormalization', 'BatchNormalization', 'InstanceNormalization', 'GroupNormalization', 'SimplifiedLayerNormalization',
  'SkipLayerNormalization', 'SkipSimplifiedLayerNormalization', 'LpNormalization', 'MeanVarianceNormalization',
]);

/** The ops of a LayerNorm decomposed by an exporter before opset 17: ReduceMean/Sub/Pow/Sqrt/Div. */
export const NORM_PARTS = set(['Pow', 'Mul', 'ReduceMean', 'Add', 'Sqrt', 'Div', 'Reciprocal']);

/** From an attention Softmax back to QKᵀ: scaling, bias and mask adds, reshapes. */
export const SCORE_PATH = set(PASS_THROUGH, RESHAPE_OPS, ARITH_OPS, ['Where', 'Expand', 'Softmax']);

/** From the Softmax forward to A·V. */
export const VALUES_PATH = set(PASS_THROUGH, RESHAPE_OPS);

/** From Q, K or V back to the projection that made it (head split, scaling, slicing a fused qkv). */
export const PROJECTION_PATH = set(TOKEN_LAYOUT, ARITH_OPS);

/** From A·V forward to the output projection (head merge). */
export const OUT_PROJECTION_PATH = set(PASS_THROUGH, RESHAPE_OPS, ['Concat', 'Gather', 'Slice']);

/** From the image input to the patch-embedding Conv (normalisation, layout, resizing). */
export const IMAGE_PREP = set(PASS_THROUGH, ARITH_OPS, ['Transpose', 'Pad', 'Resize']);

/** From a block's input back to a cyclic shift (window partition, padding, the roll's Slices). */
export const SHIFT_PATH = set(PASS_THROUGH, RESHAPE_OPS, ['Slice', 'Split', 'Concat', 'Pad']);

/** Ops a weight goes through on its way to the node that uses it. */
export const WEIGHT_VIEW = set(PASS_THROUGH, RESHAPE_OPS, ['Expand', 'DequantizeLinear']);

/** From a window's tokens back to window_partition's 6-D view (the roll's Slices and Concats, padding). */
export const WINDOW_VIEW_PATH = set(PASS_THROUGH, RESHAPE_OPS, ['Slice', 'Concat', 'Pad']);

/** From QKᵀ (or the Softmax) back to the attention scale: the view ops between Q or K and their product. */
export const SCALE_PATH = set(PASS_THROUGH, RESHAPE_OPS, ['Gather', 'Split', 'Slice']);

/** From V2's relative_coords_table to the CPB MLP's first Linear (a buffer kept or viewed as is). */
export const COORDS_VIEW = set(['Identity', 'Reshape', 'Cast']);

/**
 * Ops that hand a constant's values on exactly, rearranged: reading a table through them reads
 * its values. Not the quantize ops: behind a DequantizeLinear lie integers, not the values.
 */
export const VALUE_VIEW = set(RESHAPE_OPS, ['Identity', 'Cast', 'Dropout', 'Contiguous', 'Expand']);

/** From a position embedding added to the tokens back to its tables (cropped, joined, resized). */
export const POSITION_SOURCE_PATH = set(PASS_THROUGH, RESHAPE_OPS, ['Slice', 'Concat', 'Resize', 'Upsample', 'Gather', 'Expand']);

/** Ops whose inputs after the first are sizes, starts or indices, not data a search follows. */
export const DATA_INPUT_ONLY = set(['Resize', 'Slice', 'Reshape', 'Gather', 'Expand']);

/** What brings a learned token to the batch before it joins the sequence. */
export const TO_BATCH = set(['Expand', 'Tile', 'Identity', 'Cast']);
