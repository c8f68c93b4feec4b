/** The IDX format of (Fashion-)MNIST: a magic number giving type and rank, the dims, then the bytes. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../errors';

export function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  let buf = readFileSync(path);
  if (path.endsWith('.gz')) buf = gunzipSync(buf);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) throw new UserError(`${path} is not an unsigned-byte IDX file.`);
  const rank = buf[3];
  const dims = Array.from({ length: rank }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const start = 4 + 4 * rank;
  const n = dims.reduce((a, b) => a * b, 1);
  if (buf.length < start + n) throw new UserError(`${path} is truncated.`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, n) };
}
