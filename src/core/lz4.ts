/**
 * LZ4 frame decompression (the format of https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md
 * and its block format, lz4_Block_format.md). Arrow IPC files compressed with LZ4 (pandas'
 * `to_feather(compression="lz4")`, what freqtrade writes) hold one LZ4 frame per buffer; Node has
 * no LZ4, and this is all a reader needs. Checksums (xxHash32) are skipped, not verified: the
 * Arrow layer checks lengths, and a corrupt block fails the bounds checks here.
 */

const MAGIC = 0x184d2204;
/** Skippable frames: 0x184D2A50 .. 0x184D2A5F. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE = 0x184d2a50;

export class Lz4Error extends Error {
  override readonly name = 'Lz4Error';
}

/** Decompress one or more concatenated LZ4 frames. `sizeHint`: the expected output length, when known. */
export function lz4FrameDecompress(src: Uint8Array, sizeHint = 0): Uint8Array {
  let out = new Uint8Array(Math.max(sizeHint, src.length * 3, 64));
  let op = 0;
  let ip = 0;
  /** Room for `n` more bytes after the first `at`. */
  const need = (at: number, n: number) => {
    if (at + n <= out.length) return;
    const grown = new Uint8Array(Math.max(out.length * 2, at + n));
    grown.set(out.subarray(0, at));
    out = grown;
  };
  const u32 = (at: number) => {
    if (at + 4 > src.length) throw new Lz4Error(`truncated frame at byte ${at}`);
    return (src[at] | (src[at + 1] << 8) | (src[at + 2] << 16) | (src[at + 3] << 24)) >>> 0;
  };
  while (ip < src.length) {
    const magic = u32(ip);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE) {
      ip += 8 + u32(ip + 4);
      continue;
    }
    if (magic !== MAGIC) throw new Lz4Error(`not an LZ4 frame at byte ${ip} (magic 0x${magic.toString(16)})`);
    ip += 4;
    if (ip + 2 > src.length) throw new Lz4Error('truncated frame header');
    const flg = src[ip];
    if (flg >> 6 !== 1) throw new Lz4Error(`unsupported LZ4 frame version ${flg >> 6}`);
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    if (dictId) throw new Lz4Error('LZ4 frames with a dictionary are not supported');
    ip += 2 + (contentSize ? 8 : 0) + 1; // FLG, BD, content size, header checksum
    for (;;) {
      const word = u32(ip);
      ip += 4;
      if (word === 0) break; // end mark
      const size = word & 0x7fffffff;
      if (ip + size > src.length) throw new Lz4Error(`block of ${size} bytes runs past the end of the data`);
      if (word & 0x80000000) {
        need(op, size);
        out.set(src.subarray(ip, ip + size), op);
        op += size;
      } else {
        op = decodeBlock(src, ip, ip + size, () => out, need, op);
      }
      ip += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) ip += 4;
  }
  return out.subarray(0, op);
}

/**
 * One LZ4 block from src[start, end) appended at `op`; matches may reach back into earlier blocks
 * of the frame (linked blocks), which are in the same output. Returns the new output length.
 */
function decodeBlock(src: Uint8Array, start: number, end: number, outNow: () => Uint8Array, need: (at: number, n: number) => void, op: number): number {
  let ip = start;
  for (;;) {
    const token = src[ip++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) throw new Lz4Error('corrupt block: literal length runs past the block');
        b = src[ip++];
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > end) throw new Lz4Error('corrupt block: literals run past the block');
    need(op, lit);
    outNow().set(src.subarray(ip, ip + lit), op);
    op += lit;
    ip += lit;
    if (ip >= end) return op; // the last sequence has literals only
    if (ip + 2 > end) throw new Lz4Error('corrupt block: truncated match offset');
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new Lz4Error(`corrupt block: match offset ${offset} before the start of the data`);
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= end) throw new Lz4Error('corrupt block: match length runs past the block');
        b = src[ip++];
        len += b;
      } while (b === 255);
    }
    len += 4;
    need(op, len);
    const out = outNow();
    let from = op - offset;
    if (offset >= len) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      // Overlapping match: a repeating pattern, copied byte by byte.
      for (const stop = op + len; op < stop; ) out[op++] = out[from++];
    }
  }
}
