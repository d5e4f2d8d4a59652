/**
 * freqtrade-compatible footprint candles as JSON (`{"candles":[...]}`, src/features/footprint-freqtrade.ts),
 * written in ~1 MB pieces to a temporary file renamed onto the output: a failed run leaves no
 * half-written file.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { FreqtradeCandleHead, FreqtradeFootprintColumns, FreqtradeLevelColumns } from '../../features/footprint-freqtrade.ts';

/** `{"candles":[...]}`, NaN as null, written in ~1 MB pieces to `out` (via a temporary file). */
export async function writeCandlesJson(out: string, footprint: FreqtradeFootprintColumns): Promise<void> {
  const { candles, levels } = footprint;
  const tmp = `${out}.${process.pid}.tmp`;
  const ws = createWriteStream(tmp);
  const failed = new Promise<never>((_, reject) => ws.once('error', reject));
  failed.catch(() => undefined);
  try {
    let parts: string[] = ['{"candles":['];
    let size = 0;
    for (let c = 0; c < candles.length; c++) {
      const text = (c > 0 ? ',' : '') + candleJson(candles[c], levels);
      parts.push(text);
      size += text.length;
      if (size >= 1 << 20) {
        if (!ws.write(parts.join(''))) await Promise.race([once(ws, 'drain'), failed]);
        parts = [];
        size = 0;
      }
    }
    parts.push(']}\n');
    ws.end(parts.join(''));
    await Promise.race([once(ws, 'finish'), failed]);
    await rename(tmp, out);
  } catch (e) {
    ws.destroy();
    await rm(tmp, { force: true });
    throw e;
  }
}

function n(x: number | null): string {
  return x === null || !Number.isFinite(x) ? 'null' : String(x);
}

/** One candle as freqtrade writes it, its levels read from the columns (no object per level). */
function candleJson(c: FreqtradeCandleHead, L: FreqtradeLevelColumns): string {
  const lv: string[] = [];
  for (let i = c.levelStart; i < c.levelEnd; i++) {
    lv.push(
      `[${n(L.price[i])},${n(L.levelIndex[i])},${n(L.bidAmount[i])},${n(L.askAmount[i])},${L.bid[i]},${L.ask[i]},` +
        `${n(L.delta[i])},${n(L.totalVolume[i])},${L.totalTrades[i]},${L.bidImbalance[i] === 1},${L.askImbalance[i] === 1}]`,
    );
  }
  return (
    `{"open_time_ms":${c.open_time_ms},"open":${n(c.open)},"high":${n(c.high)},"low":${n(c.low)},"close":${n(c.close)},` +
    `"volume":${n(c.volume)},"delta":${n(c.delta)},"min_delta":${n(c.min_delta)},"max_delta":${n(c.max_delta)},` +
    `"total_trades":${c.total_trades},"bid":${n(c.bid)},"ask":${n(c.ask)},` +
    `"stacked_imbalances_bid":${n(c.stacked_imbalances_bid)},"stacked_imbalances_ask":${n(c.stacked_imbalances_ask)},` +
    `"levels":[${lv.join(',')}]}`
  );
}
