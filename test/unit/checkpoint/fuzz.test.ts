/**
 * Fuzz: mutated safetensors headers (seeded; FUZZ_SEED and FUZZ_CASES override) beside a real
 * config.json must each end in a built model or a UserError — never another exception — and
 * the UserError names the file. Mutations act on the JSON (dtypes, shapes, offsets, names,
 * entries), on the header bytes and on the length field, and truncate the file.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildCheckpoint } from '../../../src/core/checkpoint';
import { isUserError } from '../../../src/core/errors';
import { mulberry32 as rng } from '../../../src/core/random';

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const CASES = Number(process.env.FUZZ_CASES ?? 520);
const FIX = resolve('test/fixtures/checkpoints');

type Entry = { dtype: unknown; shape: unknown; data_offsets: unknown };

describe('safetensors fuzz: mutated headers end in a model or a UserError', function () {
  this.timeout(10 * 60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'st-fuzz-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`${CASES} cases (seed ${SEED})`, () => {
    const rand = rng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const sources = ['hf-vit', 'timm-deit-distilled', 'hf-deit-teacher'].map((name) => {
      const bytes = readFileSync(join(FIX, name, 'model.safetensors'));
      const n = Number(bytes.readBigUInt64LE(0));
      return { name, bytes, n, head: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, Entry>, data: bytes.subarray(8 + n) };
    });
    const counts = { ok: 0, user: 0 };
    const kinds = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const src = pick(sources);
      const head: Record<string, Entry> = JSON.parse(JSON.stringify(src.head));
      const names = Object.keys(head).filter((k) => k !== '__metadata__');
      const name = pick(names);
      const e = head[name];
      let raw: Buffer | null = null;
      const kind = pick(['dtype', 'shape', 'offsets', 'delete', 'rename', 'entry', 'bytes', 'length', 'truncate', 'metadata', 'swap'] as const);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      switch (kind) {
        case 'dtype':
          e.dtype = pick(['F16', 'BF16', 'I64', 'I32', 'U8', 'BOOL', 'F64', 'f32', '', 7, null]);
          break;
        case 'shape': {
          const s = [...(e.shape as number[])];
          const r = rand();
          if (r < 0.25) s.push(1);
          else if (r < 0.5) s.pop();
          else if (r < 0.7 && s.length) s[Math.floor(rand() * s.length)] = pick([0, -1, 1.5, 2 ** 53, 3, 1e9]);
          else if (r < 0.85) s.reverse();
          e.shape = rand() < 0.05 ? 'x' : s;
          break;
        }
        case 'offsets': {
          const [b, end] = e.data_offsets as number[];
          e.data_offsets = pick([[b, end + 4], [b - 4, end - 4], [end, b], [b + 1, end + 1], [0, end - b], [b, 2 ** 60], [-1, end], [b], 'x', [b, end, 0]]);
          break;
        }
        case 'delete':
          delete head[name];
          break;
        case 'rename':
          head[`${name}.x`] = e;
          delete head[name];
          break;
        case 'entry':
          head[name] = pick([null, 1, 'x', [], {}, { dtype: 'F32' }] as unknown as Entry[]);
          break;
        case 'metadata':
          (head as Record<string, unknown>).__metadata__ = pick([null, 1, 'x', [], { a: 1 }]);
          break;
        case 'swap': {
          const other = head[pick(names)];
          if (other && e) [e.shape, other.shape] = [other.shape, e.shape];
          break;
        }
        case 'bytes': {
          const text = Buffer.from(JSON.stringify(head));
          for (let k = 0, n = 1 + Math.floor(rand() * 4); k < n; k++) text[Math.floor(rand() * text.length)] = Math.floor(rand() * 256);
          raw = withHeader(text, src.data);
          break;
        }
        case 'length': {
          const text = Buffer.from(JSON.stringify(head));
          raw = withHeader(text, src.data);
          raw.writeBigUInt64LE(BigInt(pick([0, 1, text.length - 1, text.length + 1, text.length + 7, raw.length, 2 ** 40, Number.MAX_SAFE_INTEGER])), 0);
          break;
        }
        case 'truncate': {
          const whole = withHeader(Buffer.from(JSON.stringify(head)), src.data);
          raw = whole.subarray(0, Math.floor(rand() * whole.length));
          break;
        }
      }
      raw ??= withHeader(Buffer.from(JSON.stringify(head)), src.data);
      const folder = join(dir, `c${i}`);
      writeFileSync(join(dir, `c${i}.safetensors`), raw);
      // each case in its own folder with the source's config, so the builder runs too
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(folder);
      copyFileSync(join(dir, `c${i}.safetensors`), join(folder, 'model.safetensors'));
      copyFileSync(join(FIX, src.name, 'config.json'), join(folder, 'config.json'));
      rmSync(join(dir, `c${i}.safetensors`));
      try {
        const b = buildCheckpoint(folder);
        assert.ok(b.model.graph.nodes.length > 0);
        counts.ok++;
      } catch (err) {
        if (!isUserError(err)) throw new Error(`case ${i} (${kind} on ${src.name}/${name}): not a UserError: ${(err as Error).stack}`, { cause: err });
        const m = (err as Error).message;
        assert.match(m, /model\.safetensors|config\.json/, `case ${i} (${kind}): the message names no file: ${m}`);
        counts.user++;
      }
      rmSync(folder, { recursive: true, force: true });
    }
    assert.equal(counts.ok + counts.user, CASES);
    // the mutations do reach the reader's checks, and some (a changed bias value's dtype within size…) still build
    assert.ok(counts.user > CASES / 2, JSON.stringify(counts));
    assert.ok(kinds.size >= 10);
  });
});

function withHeader(text: Buffer, data: Buffer): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  return Buffer.concat([len, text, data]);
}
