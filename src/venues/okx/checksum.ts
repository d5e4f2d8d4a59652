/**
 * OKX order-book checksum (books, books-l2-tbt, books50-l2-tbt): "Use the first 25 bids and
 * asks in the full load to form a string (where a colon connects the price and size in an ask or
 * a bid), and then calculate the CRC32 value (32-bit signed integer)". Bids and asks alternate
 * (`bid:ask:bid:ask...`); when one side has fewer than 25 levels the missing ones are skipped.
 * Prices and sizes are the wire strings exactly as OKX sent them. Verified against all 290
 * frames of the 2022 capture (test/venues/okx/mock-server.test.ts). Sources: docs/live/okx.md.
 */

/** A level as it travels on the wire: price and size text (contracts for swaps). */
export type WireLevel = readonly [px: string, sz: string];

export const OKX_CHECKSUM_DEPTH = 25;

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** CRC-32 (IEEE) of a text of char codes < 256, as a signed 32-bit integer (what OKX sends). */
export function crc32Signed(text: string): number {
  let c = -1;
  for (let i = 0; i < text.length; i++) c = TABLE[(c ^ text.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ -1) | 0;
}

/** The string OKX checksums: the best 25 of each side, interleaved bid, ask, bid, ask... */
export function okxChecksumString(bids: readonly WireLevel[], asks: readonly WireLevel[]): string {
  const parts: string[] = [];
  const n = Math.min(OKX_CHECKSUM_DEPTH, Math.max(bids.length, asks.length));
  for (let i = 0; i < n; i++) {
    if (i < bids.length) parts.push(bids[i][0], bids[i][1]);
    if (i < asks.length) parts.push(asks[i][0], asks[i][1]);
  }
  return parts.join(':');
}

/**
 * The checksum of a book whose sides are sorted best first (only the first 25 are read):
 * crc32Signed(okxChecksumString(bids, asks)), the CRC run over the strings in turn rather than
 * over their join (a simulated capture checksums every book message).
 */
export function okxChecksum(bids: readonly WireLevel[], asks: readonly WireLevel[]): number {
  let c = -1;
  let first = true;
  const put = (text: string) => {
    if (!first) c = TABLE[(c ^ COLON) & 0xff] ^ (c >>> 8);
    first = false;
    for (let i = 0; i < text.length; i++) c = TABLE[(c ^ text.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  };
  const n = Math.min(OKX_CHECKSUM_DEPTH, Math.max(bids.length, asks.length));
  for (let i = 0; i < n; i++) {
    if (i < bids.length) {
      put(bids[i][0]);
      put(bids[i][1]);
    }
    if (i < asks.length) {
      put(asks[i][0]);
      put(asks[i][1]);
    }
  }
  return (c ^ -1) | 0;
}

const COLON = 0x3a;
