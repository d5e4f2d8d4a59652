/** freqtrade's `<pair>-trades.feather` (Arrow IPC file, LZ4-compressed): see trades.ts for the layout. */
import { readFileSync } from 'node:fs';
import { CompressionType, compressionRegistry, type Data, DataType, makeVector, Precision, tableFromIPC, type Table } from 'apache-arrow';
import { FileError, ParseError } from '../../core/errors.ts';
import { lz4FrameDecompress } from '../../core/lz4.ts';
import { MAX_MS, MIN_MS } from '../../core/parse-util.ts';
import { FREQTRADE_TRADE_COLUMNS, positiveOf, sideOf, timestampOf, type TradeRows, TradeRowsBuilder } from './trades.ts';


let lz4Registered = false;

/** A freqtrade `<pair>-trades.feather`. */
export function readFreqtradeFeather(path: string): TradeRows {
  if (!lz4Registered) {
    compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (d) => lz4FrameDecompress(d) });
    lz4Registered = true;
  }
  let table: Table;
  try {
    table = tableFromIPC(readFileSync(path));
  } catch (e) {
    throw new FileError('E_FORMAT', path, `not a readable Feather (Arrow IPC) file: ${(e as Error).message}`);
  }
  const names = table.schema.fields.map((f) => f.name);
  const missing = ['timestamp', 'side', 'price', 'amount'].filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw new FileError('E_FORMAT', path, `no column ${missing.join(', ')}: expected freqtrade's trade columns ${FREQTRADE_TRADE_COLUMNS.join(', ')} (got ${names.join(', ') || 'none'})`);
  }
  const out = new TradeRowsBuilder(table.numRows);
  const cols = ['timestamp', 'side', 'price', 'amount'].map((c) => table.getChild(c)!);
  for (let k = 0; k < cols[0].data.length; k++) {
    const [ts, side, price, amount] = cols.map((c) => c.data[k]);
    try {
      if (fastBatch(ts, side, price, amount, out)) continue;
      const [tv, sv, pv, av] = [ts, side, price, amount].map((d) => makeVector(d));
      for (let i = 0; i < ts.length; i++) {
        out.push(timestampOf(tv.get(i)), positiveOf(pv.get(i), 'price'), positiveOf(av.get(i), 'amount'), sideOf(sv.get(i)));
      }
    } catch (e) {
      // Only good rows were pushed: the bad one is the next.
      if (e instanceof ParseError) throw e.at(`${path}: row ${out.length + 1}`);
      throw e;
    }
  }
  return out.done();
}

/**
 * One record batch read straight from its buffers (int64 timestamps, utf8 sides, float64 prices
 * and amounts, no nulls: what pandas writes for freqtrade); false, with nothing pushed, when the
 * batch has another shape and must go through the generic accessors.
 */
function fastBatch(ts: Data, side: Data, price: Data, amount: Data, out: TradeRowsBuilder): boolean {
  const plain = (d: Data) => d.offset === 0 && d.nullCount === 0;
  if (![ts, side, price, amount].every(plain)) return false;
  if (!(DataType.isInt(ts.type) && ts.type.bitWidth === 64 && DataType.isUtf8(side.type) && DataType.isFloat(price.type) && DataType.isFloat(amount.type))) return false;
  if (price.type.precision !== Precision.DOUBLE || amount.type.precision !== Precision.DOUBLE) return false;
  // int64 as two int32 halves: exact for |ms| < 2^53, and without a BigInt per row.
  const big = ts.values as BigInt64Array;
  const t = new Int32Array(big.buffer, big.byteOffset, big.length * 2);
  const p = price.values as Float64Array;
  const a = amount.values as Float64Array;
  const offs = side.valueOffsets as Int32Array;
  const bytes = side.values as Uint8Array;
  for (let i = 0; i < ts.length; i++) {
    const ms = t[2 * i + 1] * 4294967296 + (t[2 * i] >>> 0);
    const o = offs[i];
    const len = offs[i + 1] - o;
    const sd = len === 3 && bytes[o] === 0x62 && bytes[o + 1] === 0x75 && bytes[o + 2] === 0x79 ? 1 : len === 4 && bytes[o] === 0x73 && bytes[o + 1] === 0x65 && bytes[o + 2] === 0x6c && bytes[o + 3] === 0x6c ? -1 : 0;
    if (ms >= MIN_MS && ms < MAX_MS && p[i] > 0 && p[i] < Infinity && a[i] > 0 && a[i] < Infinity && sd !== 0) out.push(ms, p[i], a[i], sd);
    // Anything else through the checked path: it names the field, or accepts what it may (' buy').
    else out.push(timestampOf(ms), positiveOf(p[i], 'price'), positiveOf(a[i], 'amount'), sideOf(Buffer.from(bytes.subarray(o, o + len)).toString('utf8')));
  }
  return true;
}

