/**
 * The freqtrade-compatible footprint of a trades file (`orderflow footprint --compat freqtrade`):
 * trades in, freqtrade's footprint JSON out.
 *
 * Input: freqtrade's own trades files or our CSV `timestamp_ms,price,amount,side`
 * (./trades-input.ts); a bad row stops the run with a ParseError naming
 * `file:line`, the field and the value. Output: `{"candles":[...]}` (src/features/footprint-freqtrade.ts),
 * written by ./candles-json.ts.
 */
import { UsageError } from '../../core/errors.ts';
import { freqtradeFootprintColumns } from '../../features/footprint-freqtrade.ts';
import { parseTimeframe } from '../../features/timeframe.ts';
import { writeCandlesJson } from './candles-json.ts';
import { readTradesInput } from './trades-input.ts';

export interface FreqtradeFootprintArgs {
  input: string;
  timeframe: string;
  scale: number;
  imbalanceRatio: number;
  imbalanceVolume: number;
  stackedRange: number;
  out: string;
}

export async function runFreqtradeFootprint(o: FreqtradeFootprintArgs): Promise<{ candles: number; trades: number }> {
  const timeframeMs = parseTimeframe(o.timeframe, '--timeframe');
  positiveOption(o.scale, '--scale');
  nonNegativeOption(o.imbalanceRatio, '--imbalance-ratio');
  nonNegativeOption(o.imbalanceVolume, '--imbalance-volume');
  if (!Number.isSafeInteger(o.stackedRange) || o.stackedRange < 1) {
    throw new UsageError(`--stacked-range: expected a whole number >= 1, got ${o.stackedRange}`);
  }
  const trades = await readTradesInput(o.input);
  const footprint = freqtradeFootprintColumns(trades, {
    timeframeMs,
    scale: o.scale,
    imbalanceRatio: o.imbalanceRatio,
    imbalanceVolume: o.imbalanceVolume,
    stackedRange: o.stackedRange,
  });
  await writeCandlesJson(o.out, footprint);
  return { candles: footprint.candles.length, trades: trades.length };
}

function positiveOption(v: number, option: string): void {
  if (!(Number.isFinite(v) && v > 0)) throw new UsageError(`${option}: expected a number > 0, got ${v}`);
}

function nonNegativeOption(v: number, option: string): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new UsageError(`${option}: expected a number >= 0, got ${v}`);
}
