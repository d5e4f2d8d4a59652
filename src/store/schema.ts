/**
 * The DuckDB schema, versioned. Plain DuckDB: docs/SCHEMA.md documents every column so the file
 * can be queried from the DuckDB CLI or Python without orderflow.
 *
 * Times are TIMESTAMP (microseconds, UTC, no time zone). Every data row carries the `import_id`
 * of the imports-ledger row that wrote it.
 */

export const SCHEMA_VERSION = 3;

const VENUE = `ENUM('binance', 'binance-spot', 'okx', 'bybit')`;
const SIDE = `ENUM('buy', 'sell')`;

/** Migrations, index = version - 1. Each runs once, in its own transaction. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TYPE venue_t AS ${VENUE};
  CREATE TYPE side_t AS ${SIDE};
  CREATE SEQUENCE import_id_seq START 1;
  CREATE TABLE imports (
    import_id   INTEGER PRIMARY KEY,
    path        VARCHAR NOT NULL,   -- absolute path when imported
    size        BIGINT NOT NULL,    -- bytes
    sha256      VARCHAR NOT NULL,   -- of the file as stored (the .zip/.gz itself)
    format      VARCHAR NOT NULL,   -- format id, e.g. binance-um-aggTrades
    rows        BIGINT NOT NULL,    -- rows written (all tables)
    skipped     BIGINT NOT NULL,    -- bad rows skipped (--skip-bad-rows)
    first_ts    TIMESTAMP,
    last_ts     TIMESTAMP,
    status      VARCHAR NOT NULL,   -- 'ok' (only committed imports are recorded)
    imported_at TIMESTAMP NOT NULL
  );
  CREATE UNIQUE INDEX imports_sha256 ON imports(sha256);
  CREATE TABLE trades (
    venue venue_t NOT NULL, symbol VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL, local_ts TIMESTAMP,
    price DOUBLE NOT NULL, qty DOUBLE NOT NULL,
    side side_t NOT NULL,            -- aggressor side
    trade_id BIGINT,                 -- venue trade id when it is an integer (Binance, OKX)
    trade_uuid UUID,                 -- venue trade id when it is a UUID (Bybit); one of the two is set
    import_id INTEGER NOT NULL
  );
  CREATE TABLE liquidations (
    venue venue_t NOT NULL, symbol VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL, local_ts TIMESTAMP,
    price DOUBLE NOT NULL, qty DOUBLE NOT NULL,
    side side_t NOT NULL,            -- side of the forced order: sell = long liquidated
    liq_id VARCHAR NOT NULL,
    import_id INTEGER NOT NULL
  );
  CREATE TABLE book (
    venue venue_t NOT NULL, symbol VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL, local_ts TIMESTAMP,
    msg BIGINT NOT NULL,             -- levels of one message share msg (unique per import)
    is_snapshot BOOLEAN NOT NULL,
    side side_t NOT NULL,            -- buy = bid, sell = ask
    price DOUBLE NOT NULL, qty DOUBLE NOT NULL,  -- qty 0 = delete the level
    seq DOUBLE,                      -- venue sequence / last update id, NULL when none
    import_id INTEGER NOT NULL
  );
  CREATE TABLE tickers (
    venue venue_t NOT NULL, symbol VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL, local_ts TIMESTAMP,
    mark_price DOUBLE, index_price DOUBLE, last_price DOUBLE,
    funding_rate DOUBLE, next_funding_ts TIMESTAMP,
    open_interest DOUBLE, open_interest_value DOUBLE,
    best_bid DOUBLE, best_bid_qty DOUBLE, best_ask DOUBLE, best_ask_qty DOUBLE,
    long_short_ratio DOUBLE, top_trader_account_ratio DOUBLE,
    top_trader_position_ratio DOUBLE, taker_buy_sell_ratio DOUBLE,
    import_id INTEGER NOT NULL
  );
  CREATE TABLE klines (
    venue venue_t NOT NULL, symbol VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, interval VARCHAR NOT NULL,
    open_time TIMESTAMP NOT NULL, close_time TIMESTAMP NOT NULL,
    open DOUBLE NOT NULL, high DOUBLE NOT NULL, low DOUBLE NOT NULL, close DOUBLE NOT NULL,
    volume DOUBLE, quote_volume DOUBLE, trades BIGINT,
    taker_buy_volume DOUBLE, taker_buy_quote_volume DOUBLE,
    closed BOOLEAN NOT NULL,         -- final bar (archives); a capture's last update may be open
    import_id INTEGER NOT NULL
  );
  CREATE TABLE depth_bands (
    venue venue_t NOT NULL, symbol VARCHAR NOT NULL, ts TIMESTAMP NOT NULL,
    percentage DOUBLE NOT NULL, depth DOUBLE NOT NULL, notional DOUBLE NOT NULL,
    import_id INTEGER NOT NULL
  );
  CREATE TABLE instruments (
    venue venue_t NOT NULL, symbol VARCHAR NOT NULL,
    base VARCHAR NOT NULL, quote VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    contract_type VARCHAR NOT NULL, tick_size DOUBLE NOT NULL, lot_size DOUBLE NOT NULL,
    contract_value DOUBLE NOT NULL, min_notional DOUBLE NOT NULL, max_leverage DOUBLE NOT NULL,
    maker_fee DOUBLE NOT NULL, taker_fee DOUBLE NOT NULL,
    tiers JSON NOT NULL,
    PRIMARY KEY (venue, symbol)
  );
  -- Periods where data is known missing (recorder disconnects, resyncs). Detected gaps in
  -- imported data are computed by 'orderflow info', not stored.
  CREATE TABLE gaps (
    venue venue_t NOT NULL, symbol VARCHAR NOT NULL, type VARCHAR NOT NULL,
    from_ts TIMESTAMP NOT NULL, to_ts TIMESTAMP NOT NULL, reason VARCHAR NOT NULL
  );
  `,
  // v2: where each instrument row came from. Live commands fetch the venues' lists at start and
  // fall back to the rows fetched last time when the venue is unreachable.
  `
  ALTER TABLE instruments ADD COLUMN status VARCHAR;      -- the venue's own word: TRADING, live, Trading, SETTLING, suspend...
  ALTER TABLE instruments ADD COLUMN source VARCHAR;      -- 'venue' (fetched from its REST API) or 'snapshot' (bundled)
  ALTER TABLE instruments ADD COLUMN fetched_at TIMESTAMP; -- when fetched from the venue (NULL for the snapshot)
  `,
  // v3: the bus batches `orderflow sink --to store` has written, committed with their rows, so a
  // batch redelivered after a crash between commit and ack is recognised and not written twice.
  `
  CREATE TABLE bus_batches (
    msg_id     VARCHAR PRIMARY KEY, -- the batch's Nats-Msg-Id
    stream_seq BIGINT NOT NULL,     -- its sequence in the stream when written
    import_id  INTEGER NOT NULL     -- the sink session (imports row) that wrote it
  );
  `,
];

/** Event tables: the name of each and the `type` it holds in `orderflow info`. */
export const EVENT_TABLES = [
  { table: 'trades', type: 'trade' },
  { table: 'liquidations', type: 'liquidation' },
  { table: 'book', type: 'book' },
  { table: 'tickers', type: 'ticker' },
] as const;

/** Every table that holds imported rows (all carry venue, symbol and import_id). */
export const DATA_TABLES = ['trades', 'liquidations', 'book', 'tickers', 'klines', 'depth_bands'] as const;
export type DataTable = (typeof DATA_TABLES)[number];

/** The time column of each data table (for ranges and partitioning). */
export const TIME_COLUMN: Record<DataTable, string> = {
  trades: 'ts',
  liquidations: 'ts',
  book: 'ts',
  tickers: 'ts',
  klines: 'open_time',
  depth_bands: 'ts',
};
