/**
 * The push path's shadow check (docs/PAPER.md, "The push path"): after each step's recorder
 * commit, the stored trades, liquidations and tickers of the span memory released since the last
 * check are counted and hashed as push-feed.ts hashed what it pushed (`rowHash`, summed modulo
 * `HASH_P`: the same integer arithmetic in DuckDB's BIGINT), with the feed's filters (the session's
 * venues and symbols; a ticker only with open interest, a mark or funding rate, or both quotes on
 * the execution market), and, when the kernel reads the book, the execution market's book level rows
 * (`bookHash`: one row a level, its snapshot flag and sequence in the hash). Equal counts and
 * hashes: the kernel saw what a replay of the store would give it.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { Store } from '../store/store.ts';
import { HASH_P, KIND_BOOK, KIND_LIQUIDATION, KIND_TICKER, KIND_TRADE } from './push-feed.ts';
import type { FeedMarket } from './stored-feed.ts';

export interface ShadowSpan {
  /** Stored ms, [from, to). */
  readonly from: number;
  readonly to: number;
  readonly n: number;
  readonly h: number;
}

/** `rowHash` in SQL over the expressions of one table's row. */
function hashSql(kind: number, ord: string, price: string, qty: string, side: string): string {
  const step = (h: string, x: string) => `((${h}) * 31 + (${x})) % ${HASH_P}`;
  let h = String(kind);
  h = step(h, `epoch_us(ts) % ${HASH_P}`);
  h = step(h, ord);
  h = step(h, `floor((${price}) * 1e6)::BIGINT % ${HASH_P}`);
  h = step(h, `floor((${qty}) * 1e8)::BIGINT % ${HASH_P}`);
  return step(h, side);
}

/** The stored rows of a span, counted and hashed as memory did; `ok` when they are what memory pushed. */
export async function shadowCheck(store: Store, m: FeedMarket, span: ShadowSpan): Promise<{ readonly ok: boolean; readonly stored: { readonly n: number; readonly h: number } }> {
  if (!(span.to > span.from)) return { ok: span.n === 0, stored: { n: 0, h: 0 } };
  const values: DuckDBValue[] = [];
  const param = (v: DuckDBValue) => {
    values.push(v);
    return `$${values.length}`;
  };
  const venues = `[${m.venues.map(param).join(', ')}]`;
  const symbols = `[${m.symbols.map(param).join(', ')}]`;
  const vo = `(list_position(${venues}, venue::VARCHAR) - 1)`;
  const so = `(list_position(${symbols}, symbol) - 1)`;
  // On the column itself (not epoch_us(ts)): DuckDB skips the row groups outside the span by their
  // min/max, so a check reads one step's rows however big the store is.
  const from = param(BigInt(Math.round(span.from * 1000)));
  const to = param(BigInt(Math.round(span.to * 1000)));
  const where = `venue::VARCHAR IN (SELECT unnest(${venues})) AND symbol IN (SELECT unnest(${symbols})) AND ts >= make_timestamp(${from}::BIGINT) AND ts < make_timestamp(${to}::BIGINT)`;
  const exec = `(venue::VARCHAR = ${param(m.execVenue)} AND symbol = ${param(m.execSymbol)})`;
  const side = `CASE WHEN side = 'buy' THEN 1 ELSE 2 END`;
  // The book levels memory pushed: the execution market's, from the book's first read (bookFrom).
  // (Parameters are bound only when the query uses them: DuckDB refuses one too many.)
  let book = '';
  if (m.needBook) {
    const bookFrom = Number.isFinite(m.bookFromMs) ? ` AND ts >= make_timestamp(${param(BigInt(Math.round(m.bookFromMs * 1000)))}::BIGINT)` : '';
    const seq = `CASE WHEN seq IS NULL OR isnan(seq) THEN 0 ELSE ((floor(seq)::BIGINT % ${HASH_P}) + ${HASH_P}) % ${HASH_P} END`;
    book = `UNION ALL SELECT count(*), sum(((${hashSql(KIND_BOOK, 'is_snapshot::INTEGER', 'price', 'qty', side)}) * 31 + ${seq}) % ${HASH_P}) FROM book
         WHERE venue::VARCHAR = ${param(m.execVenue)} AND symbol = ${param(m.execSymbol)} AND ts >= make_timestamp(${from}::BIGINT) AND ts < make_timestamp(${to}::BIGINT)${bookFrom}`;
  }
  const [r] = await store.rows<{ n: bigint | number | null; h: bigint | number | null }>(
    `SELECT sum(n)::BIGINT AS n, (sum(h) % ${HASH_P})::BIGINT AS h FROM (
       SELECT count(*) AS n, sum(${hashSql(KIND_TRADE, vo, 'price', 'qty', side)}) AS h FROM trades WHERE ${where}
       UNION ALL SELECT count(*), sum(${hashSql(KIND_LIQUIDATION, vo, 'price', 'qty', side)}) FROM liquidations WHERE ${where}
       UNION ALL SELECT count(*), sum(${hashSql(KIND_TICKER, `${vo} * ${m.symbols.length} + ${so}`, 'coalesce(mark_price, 0)', 'coalesce(open_interest, 0)', '0')}) FROM tickers
         WHERE ${where} AND (open_interest IS NOT NULL OR mark_price IS NOT NULL OR funding_rate IS NOT NULL OR (${exec} AND best_bid IS NOT NULL AND best_ask IS NOT NULL))
       ${book})`,
    values,
  );
  const stored = { n: Number(r?.n ?? 0), h: Number(r?.h ?? 0) };
  return { ok: stored.n === span.n && stored.h === span.h, stored };
}
