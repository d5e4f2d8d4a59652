/**
 * Writes the backtest bench's synthetic market (bench/backtest.ts `generateMarket`) into a store,
 * once, so that `orderflow backtest` (the command, with its store reads, null model and worker
 * threads) can be timed on a market of realistic size:
 *
 *   node --import tsx bench/backtest-store.ts --events 30000000 --home bench/.data/bt-30m
 *
 * ~1.9M events a day (10M span ~5.3 days, 27M ~ two weeks). Rows go to the store's own tables
 * (trades, liquidations, book, tickers) as CSV files loaded by DuckDB; marks with funding and open
 * interest become ticker rows, the book its level rows (one `msg` per message). Binance and Bybit
 * BTCUSDT, Binance's book. A home that already holds a store is left alone.
 */
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { DB_FILE, Store } from '../src/store/store.ts';
import { generateMarket } from './backtest.ts';

const SIDE = (s: number) => (s > 0 ? 'buy' : 'sell');

/** A CSV file written through a buffer (the stream's own buffering is slow per line). */
class Csv {
  private readonly out;
  private buf: string[] = [];
  rows = 0;
  constructor(readonly path: string, header: string) {
    this.out = createWriteStream(path);
    this.buf.push(header);
  }
  async line(s: string): Promise<void> {
    this.buf.push(s);
    this.rows++;
    if (this.buf.length >= 20_000) await this.flush();
  }
  private async flush(): Promise<void> {
    if (!this.out.write(this.buf.join('\n') + '\n')) await once(this.out, 'drain');
    this.buf = [];
  }
  async close(): Promise<void> {
    if (this.buf.length > 0) await this.flush();
    this.out.end();
    await once(this.out, 'finish');
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const num = (x: number) => (Number.isNaN(x) ? '' : String(x));

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const n = Number(arg('--events') ?? 30_000_000);
  const home = resolve(arg('--home') ?? join('bench', '.data', `backtest-${n}`));
  if (existsSync(join(home, DB_FILE))) {
    console.error(`${home} already holds a store: left alone`);
    return;
  }
  mkdirSync(home, { recursive: true });
  const t0 = performance.now();
  const m = generateMarket(n);
  const genS = (performance.now() - t0) / 1000;
  const tmp = join(home, 'csv');
  mkdirSync(tmp, { recursive: true });
  const SYMBOL = 'BTCUSDT';

  const trades = new Csv(join(tmp, 'trades.csv'), 'venue,ts,price,qty,side,trade_id');
  let id = 0;
  for (const c of m.chunks) for (let i = 0; i < c.length; i++) await trades.line(`${c.venues[c.venue[i]]},${iso(c.ts[i])},${c.price[i]},${c.qty[i]},${SIDE(c.side[i])},${++id}`);
  await trades.close();

  const liqs = new Csv(join(tmp, 'liquidations.csv'), 'venue,ts,price,qty,side,liq_id');
  const l = m.liquidations;
  for (let i = 0; i < l.length; i++) await liqs.line(`${l.venues[l.venue[i]]},${iso(l.ts[i])},${l.price[i]},${l.qty[i]},${SIDE(l.side[i])},L${i}`);
  await liqs.close();

  const book = new Csv(join(tmp, 'book.csv'), 'ts,msg,is_snapshot,side,price,qty,seq');
  const b = m.book;
  for (let k = 0; k < b.length; k++) {
    const ts = iso(b.ts[k]);
    for (let r = b.levelStart[k]; r < b.levelStart[k + 1]; r++) await book.line(`${ts},${k + 1},${b.isSnapshot[k] === 1},${SIDE(b.side[r])},${b.price[r]},${b.qty[r]},${num(b.seq[k])}`);
  }
  await book.close();

  const tickers = new Csv(join(tmp, 'tickers.csv'), 'venue,ts,mark_price,funding_rate,next_funding_ts,open_interest');
  const mk = m.marks;
  for (let i = 0; i < mk.length; i++) {
    const next = mk.nextFundingTs[i];
    await tickers.line(`${mk.markets[mk.market[i]].venue},${iso(mk.ts[i])},${num(mk.markPrice[i])},${num(mk.fundingRate[i])},${Number.isNaN(next) ? '' : iso(next)},`);
  }
  const oi = m.openInterest;
  for (let i = 0; i < oi.length; i++) await tickers.line(`${oi.markets[oi.market[i]].venue},${iso(oi.ts[i])},${num(oi.markPrice[i])},,,${oi.openInterest[i]}`);
  await tickers.close();
  const csvS = (performance.now() - t0) / 1000 - genS;

  const store = await Store.open(home);
  try {
    const now = iso(Date.now());
    await store.rows(`INSERT INTO imports VALUES (1, 'bench/backtest-store.ts', 0, 'synthetic-${n}', 'synthetic', ${n}, 0, NULL, NULL, 'ok', TIMESTAMP '${now}')`);
    const csv = (f: string) => `read_csv('${join(tmp, f)}', header = true, nullstr = '')`;
    await store.rows(`INSERT INTO trades (venue, symbol, ts, price, qty, side, trade_id, import_id) SELECT venue, '${SYMBOL}', ts, price, qty, side, trade_id, 1 FROM ${csv('trades.csv')}`);
    await store.rows(`INSERT INTO liquidations (venue, symbol, ts, price, qty, side, liq_id, import_id) SELECT venue, '${SYMBOL}', ts, price, qty, side, liq_id, 1 FROM ${csv('liquidations.csv')}`);
    await store.rows(`INSERT INTO book (venue, symbol, ts, msg, is_snapshot, side, price, qty, seq, import_id) SELECT 'binance', '${SYMBOL}', ts, msg, is_snapshot, side, price, qty, seq, 1 FROM ${csv('book.csv')}`);
    await store.rows(
      `INSERT INTO tickers (venue, symbol, ts, mark_price, funding_rate, next_funding_ts, open_interest, import_id) SELECT venue, '${SYMBOL}', ts, mark_price, funding_rate, next_funding_ts, open_interest, 1 FROM ${csv('tickers.csv')} ORDER BY ts`,
    );
    await store.rows('CHECKPOINT');
  } finally {
    store.close();
  }
  rmSync(tmp, { recursive: true, force: true });
  const days = (m.lastTs - m.firstTs) / 86_400_000;
  console.error(
    `${home}: ${n.toLocaleString('en-US')} events over ${days.toFixed(2)} days (${iso(m.firstTs)} to ${iso(m.lastTs)}): ${trades.rows} trades, ${liqs.rows} liquidations, ` +
      `${b.length} book messages (${book.rows} level rows), ${tickers.rows} ticker rows; generated in ${genS.toFixed(1)} s, CSV ${csvS.toFixed(1)} s, ` +
      `loaded in ${((performance.now() - t0) / 1000 - genS - csvS).toFixed(1)} s`,
  );
}

await main();
