// The download's sha256 on a worker (core/hub/hasher.ts): it reads back what has been written,
// starts over after a truncation or a replaced file, and a job without a worker still hashes.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchBuffer, hashFile, sha256File } from '../../../src/core/hub/hasher';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('the download hasher (a worker reading the file as it is written)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vit-hash-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** A file of n random bytes in the test folder. */
  const written = (name: string, n: number): { f: string; body: Buffer } => {
    const body = randomBytes(n);
    writeFileSync(join(dir, name), body);
    return { f: join(dir, name), body };
  };

  it('hashes the bytes handed over step by step, beyond its 4 MiB read buffer, from a file that did not exist when the job began', async () => {
    const f = join(dir, 'grow.bin');
    const h = hashFile(f);
    const body = randomBytes(9 << 20);
    h.upTo(0);
    for (let at = 0; at < body.length; at += 1 << 20) {
      appendFileSync(f, body.subarray(at, at + (1 << 20)));
      h.upTo(at + (1 << 20));
    }
    assert.equal(await h.digest(body.length), sha(body));
  });

  it('a resumed part: the bytes on disk read back (upTo), then the arriving ones fed from memory in batches moved to the worker', async () => {
    const f = join(dir, 'resume.bin');
    const body = randomBytes(5_000_000);
    writeFileSync(f, body.subarray(0, 1_234_567));
    const h = hashFile(f);
    h.upTo(1_234_567);
    for (let at = 1_234_567; at < body.length; at += 1 << 20) {
      const c = body.subarray(at, at + (1 << 20));
      const b = batchBuffer(1 << 20);
      c.copy(b);
      h.feed(b.subarray(0, c.length));
      assert.equal(b.buffer.byteLength, 0, 'moved to the worker, not copied');
    }
    assert.equal(h.fed, body.length);
    assert.equal(await h.digest(body.length), sha(body));
  });

  it('starts over after reset(): the file truncated, or removed and made again (a new inode)', async () => {
    const { f, body: first } = written('again.bin', 300_000);
    const h = hashFile(f);
    h.upTo(first.length);
    const second = randomBytes(200_000);
    h.reset();
    writeFileSync(f, second);
    h.upTo(second.length);
    rmSync(f);
    h.reset();
    const third = randomBytes(500_000);
    writeFileSync(f, third);
    assert.equal(await h.digest(third.length), sha(third));
  });

  it('digest(n) covers the first n bytes; an empty file; a job ends once', async () => {
    const { f, body } = written('part.bin', 100_000);
    const h = hashFile(f);
    assert.equal(await h.digest(60_000), sha(body.subarray(0, 60_000)));
    await assert.rejects(h.digest(60_000), /ended/);
    assert.equal(await hashFile(join(dir, 'none.bin')).digest(0), sha(Buffer.alloc(0)));
    assert.equal(await sha256File(f, 60_000), sha(body.subarray(0, 60_000)));
    assert.equal(await sha256File(f), sha(body));
  });

  it('a file shorter than the bytes said to be written is an error, not a wrong digest', async () => {
    await assert.rejects(hashFile(written('short.bin', 1000).f).digest(2000), /hashing the download failed: the file is shorter/);
  });
});
