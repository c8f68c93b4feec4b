/** Small safetensors files made by hand for tests (the format: u64 LE header length, JSON header, data). */
const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 };

export type Spec = Record<string, { dtype: string; shape: readonly number[] }>;

/** The file for `spec` (tensors laid out one after another; tensor k filled with byte k+1); `offsets` overrides data_offsets. */
export function safetensors(spec: Spec, metadata: Record<string, string> | null = null, offsets: Record<string, [number, number]> = {}): Buffer {
  const head: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let off = 0;
  Object.entries(spec).forEach(([name, t], k) => {
    const n = t.shape.reduce((a, b) => a * b, 1) * (BYTES[t.dtype] ?? 4);
    head[name] = { dtype: t.dtype, shape: t.shape, data_offsets: offsets[name] ?? [off, off + n] };
    parts.push(Buffer.alloc(n, (k + 1) & 0xff));
    off += n;
  });
  if (metadata) head.__metadata__ = metadata;
  return Buffer.concat([header(null, JSON.stringify(head)), ...parts]);
}

/** An 8-byte length (the JSON's own, or `claim`) followed by the JSON text. */
export function header(claim: number | null, json: string): Buffer {
  const body = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(claim ?? body.length));
  return Buffer.concat([len, body]);
}
