/**
 * The footprint ladder as terminal text (`orderflow footprint --ladder`): per candle a header,
 * one line per level from the highest price down (bid x ask, `*` beside an imbalanced side, `|`
 * in front of the value area, POC/VAH/VAL named), then the stacked imbalances as price ranges.
 */
import { decimalsOf } from '../features/footprint.ts';
import type { FootprintLadder, LadderStack } from '../features/footprint-ladder.ts';

/** `1234567.5` -> `1,234,567.5` with `decimals` digits after the point. */
export function groupedNumber(x: number, decimals: number): string {
  const [int, frac] = Math.abs(x).toFixed(decimals).split('.');
  const sign = x < 0 && Number(Math.abs(x).toFixed(decimals)) !== 0 ? '-' : '';
  return `${sign}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac === undefined ? '' : `.${frac}`}`;
}

/** "ask stack 64,212.0-64,213.5 (4 levels)". */
export function stackText(s: LadderStack, tickDecimals: number): string {
  const range = s.low === s.high ? groupedNumber(s.low, tickDecimals) : `${groupedNumber(s.low, tickDecimals)}-${groupedNumber(s.high, tickDecimals)}`;
  return `${s.side} stack ${range} (${s.levels} level${s.levels === 1 ? '' : 's'})`;
}

/** The lines of one candle's ladder; `timeframe` as the user wrote it (1m, 1h). */
export function ladderLines(l: FootprintLadder, timeframe: string): string[] {
  const pd = decimalsOf(l.tick);
  const sd = l.lot === null ? undefined : decimalsOf(l.lot);
  const price = (x: number) => groupedNumber(x, pd);
  // Without a lot, sizes as summed, trimmed of trailing zeros.
  const size = (x: number) => (sd === undefined ? x.toFixed(8).replace(/\.?0+$/, '') || '0' : groupedNumber(x, sd));
  const signed = (x: number) => (x > 0 ? `+${size(x)}` : size(x));
  const time = new Date(l.open_time_ms).toISOString().slice(0, 19).replace('T', ' ');
  const out = [
    `${time} UTC ${timeframe}  O ${price(l.open)}  H ${price(l.high)}  L ${price(l.low)}  C ${price(l.close)}  volume ${size(l.volume)}  delta ${signed(l.delta)}  trades ${l.trades}`,
    `POC ${price(l.poc)}  value area ${price(l.val)}-${price(l.vah)}`,
  ];
  const rows = l.levels.map((v) => [price(v.price), size(v.bid), size(v.ask)]);
  const pw = Math.max(5, ...rows.map((r) => r[0].length));
  const bw = Math.max(3, ...rows.map((r) => r[1].length));
  const aw = Math.max(3, ...rows.map((r) => r[2].length));
  out.push(`  ${'price'.padStart(pw)}  ${'bid'.padStart(bw)}  x ${'ask'.padStart(aw)}`);
  l.levels.forEach((v, i) => {
    const tags = [v.poc ? 'POC' : '', v.price === l.vah ? 'VAH' : '', v.price === l.val ? 'VAL' : ''].filter((t) => t !== '').join(' ');
    const line = `${v.value_area ? '|' : ' '} ${rows[i][0].padStart(pw)}  ${rows[i][1].padStart(bw)}${v.bid_imbalance ? '*' : ' '} x ${rows[i][2].padStart(aw)}${v.ask_imbalance ? '*' : ' '} ${tags}`;
    out.push(line.trimEnd());
  });
  if (l.stacks.length === 0) out.push('no stacked imbalances');
  for (const s of l.stacks) out.push(stackText(s, pd));
  return out;
}
