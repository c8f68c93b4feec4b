/**
 * Reading a file by ranges: a byte source (a file read with positioned reads, or a buffer) and
 * a protobuf wire-format cursor over it with a small sliding window. Skipping a field (such as
 * a tensor's raw_data) moves the position without reading the bytes, so a model costs what its
 * structure costs, whatever the size of its weights. Positions are plain numbers: exact up to
 * 2^53, so files and external-data offsets beyond 2 GB are fine.
 */
import * as fs from 'node:fs';

export interface ByteSource {
  readonly size: number;
  /** Reads exactly `length` bytes at `position` (fewer only at the end of the source). */
  read(position: number, length: number): Buffer;
  close(): void;
}

export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number | null;
  /** Bytes actually read from disk, for tests and benchmarks. */
  bytesRead = 0;

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'r');
    try {
      this.size = fs.fstatSync(this.fd).size;
    } catch (e) {
      fs.closeSync(this.fd);
      throw e;
    }
  }

  read(position: number, length: number): Buffer {
    if (this.fd === null) throw new Error('FileSource is closed');
    const n = Math.max(0, Math.min(length, this.size - position));
    const buf = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const got = fs.readSync(this.fd, buf, done, n - done, position + done);
      if (got <= 0) break;
      done += got;
    }
    this.bytesRead += done;
    return done === n ? buf : buf.subarray(0, done);
  }

  close(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}

export class BufferSource implements ByteSource {
  private readonly buf: Buffer;
  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get size(): number {
    return this.buf.length;
  }
  read(position: number, length: number): Buffer {
    return this.buf.subarray(position, Math.min(this.buf.length, position + length));
  }
  close(): void {
    /* nothing to release */
  }
}

/** Thrown by the cursor on malformed input; the reader turns it into a UserError. */
export class CorruptError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const TWO_32 = 4294967296;

/** A protobuf wire-format cursor over a ByteSource with a sliding read window. */
export class Cursor {
  pos = 0;
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    readonly src: ByteSource,
    private readonly window = 64 * 1024,
  ) {}

  get size(): number {
    return this.src.size;
  }

  /** Makes [pos, pos + n) available in the window (n may exceed the window size). */
  private fill(n: number): void {
    if (this.pos + n > this.src.size) throw new CorruptError('unexpected end of file', this.pos);
    // After a jump (a skipped tensor's bytes), read a small window first: the next thing is
    // usually one more tensor header followed by another skip. Sequential reading gets the full window.
    const jumped = this.pos > this.bufStart + this.buf.length + 4096 || this.pos < this.bufStart;
    const want = jumped ? Math.min(this.window, 4096) : this.window;
    const len = Math.min(Math.max(n, want), this.src.size - this.pos);
    this.buf = this.src.read(this.pos, len);
    this.bufStart = this.pos;
    if (this.buf.length < n) throw new CorruptError('unexpected end of file', this.pos);
  }

  private avail(n: number): number {
    const off = this.pos - this.bufStart;
    if (off < 0 || off + n > this.buf.length) {
      this.fill(n);
      return 0;
    }
    return off;
  }

  byte(): number {
    const off = this.avail(1);
    this.pos++;
    return this.buf[off];
  }

  /** An unsigned varint that must fit in 32 bits (tags, lengths of small things). */
  uint32(): number {
    const v = this.shortVarint();
    return v >= 0 ? v : this.uint32Slow();
  }

  /**
   * The fast path of every varint read: one of at most 3 bytes inside the window (tags, lengths,
   * dims, small ints: any of the three readings gives the same value), else -1 and nothing read.
   */
  private shortVarint(): number {
    const off = this.pos - this.bufStart;
    const buf = this.buf;
    if (off >= 0 && off + 3 <= buf.length) {
      const b0 = buf[off];
      if (b0 < 0x80) {
        this.pos++;
        return b0;
      }
      const b1 = buf[off + 1];
      if (b1 < 0x80) {
        this.pos += 2;
        return (b0 & 0x7f) | (b1 << 7);
      }
      const b2 = buf[off + 2];
      if (b2 < 0x80) {
        this.pos += 3;
        return (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (b2 << 14);
      }
    }
    return -1;
  }

  private uint32Slow(): number {
    let b = this.byte();
    if (b < 0x80) return b;
    let v = b & 0x7f;
    let mul = 128;
    for (let i = 1; i < 10; i++) {
      b = this.byte();
      if (i < 5) v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return v > 0xffffffff ? v % TWO_32 : v;
    }
    throw new CorruptError('malformed varint', this.pos);
  }

  /** A varint read as a signed 64-bit integer (int64 / int32 fields), as a JS number. */
  int64(): number {
    const short = this.shortVarint();
    if (short >= 0) return short;
    let lo = 0;
    let hi = 0;
    let b: number;
    let i = 0;
    for (; i < 10; i++) {
      b = this.byte();
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) break;
    }
    if (i === 10) throw new CorruptError('malformed varint', this.pos);
    lo >>>= 0;
    if (hi & 0x80000000) return -((~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1);
    return (hi >>> 0) * TWO_32 + lo;
  }

  /** A varint read as an unsigned 64-bit integer (uint64 fields), as a JS number. */
  uint64(): number {
    const short = this.shortVarint();
    if (short >= 0) return short;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return v;
    }
    throw new CorruptError('malformed varint', this.pos);
  }

  float(): number {
    const off = this.avail(4);
    this.pos += 4;
    return this.buf.readFloatLE(off);
  }

  double(): number {
    const off = this.avail(8);
    this.pos += 8;
    return this.buf.readDoubleLE(off);
  }

  /** Length of a length-delimited field, checked against the end of the enclosing message. */
  length(end: number): number {
    const len = this.uint64();
    if (this.pos + len > end) {
      throw new CorruptError(
        this.pos + len > this.src.size ? 'unexpected end of file (the file is truncated)' : 'a field runs past the end of its message',
        this.pos,
      );
    }
    return len;
  }

  string(len: number): string {
    if (len === 0) return '';
    const off = this.avail(len);
    this.pos += len;
    return (this.buf as Buffer & { utf8Slice?: (a: number, b: number) => string }).utf8Slice?.(off, off + len) ?? this.buf.toString('utf8', off, off + len);
  }

  /** A copy of the next `len` bytes. */
  bytes(len: number): Uint8Array {
    const off = this.avail(len);
    this.pos += len;
    return Uint8Array.prototype.slice.call(this.buf, off, off + len);
  }

  /** A view of the next `len` bytes, valid until the cursor next reads. */
  view(len: number): Buffer {
    const off = this.avail(len);
    this.pos += len;
    return this.buf.subarray(off, off + len);
  }

  skip(len: number): void {
    if (this.pos + len > this.src.size) throw new CorruptError('unexpected end of file', this.pos);
    this.pos += len;
  }

  /** Skips a field's payload after its tag. */
  skipField(wireType: number, end: number): void {
    switch (wireType) {
      case 0:
        this.uint64();
        return;
      case 1:
        this.skip(8);
        return;
      case 2:
        this.skip(this.length(end));
        return;
      case 5:
        this.skip(4);
        return;
      default:
        throw new CorruptError(`unsupported protobuf wire type ${wireType}`, this.pos);
    }
  }
}
