/**
 * The paper journal's tables in the store (docs/PAPER.md, "The journal"). Created with IF NOT
 * EXISTS by the first paper session on a home, not by a store migration: they belong to the paper
 * layer, a store that never paper-traded has none, and readers (`journal list`) check for them.
 *
 * Keys: every row is keyed by its session and the kernel's own id (signal id, order id, trade id,
 * prediction id + horizon): the kernel is deterministic, so a session resumed by replaying its
 * stored events produces the same ids and `INSERT OR IGNORE` writes nothing twice. Times are
 * exchange time, epoch ms (DOUBLE: µs fractions kept), unless the column says wall.
 */
export const PAPER_TABLES = [
  'paper_sessions',
  'paper_signals',
  'paper_predictions',
  'paper_orders',
  'paper_fills',
  'paper_positions',
  'paper_funding',
  'paper_equity',
  'paper_gaps',
  'paper_strategies',
] as const;

export const PAPER_SCHEMA = `
CREATE TABLE IF NOT EXISTS paper_sessions (
  name VARCHAR PRIMARY KEY,
  symbol VARCHAR NOT NULL,
  venues VARCHAR NOT NULL,            -- comma-separated, tie order
  pairs VARCHAR NOT NULL,             -- JSON [[venue, symbol], ...], the execution market first
  exec_venue VARCHAR NOT NULL,
  exec_symbol VARCHAR NOT NULL,
  instrument VARCHAR NOT NULL,        -- JSON of the execution instrument in use (parity: the backtest uses it)
  config VARCHAR NOT NULL,            -- JSON of the validated config, defaults filled in
  seed DOUBLE NOT NULL,
  start_ts DOUBLE NOT NULL,           -- exchange time the session became active (warm-up before it)
  warmup_ms DOUBLE NOT NULL,
  processed_ts DOUBLE NOT NULL,       -- every stored row stamped before this went through the kernel
  kernel_ts DOUBLE NOT NULL,          -- the kernel's time at the last commit (>= processed_ts when the wall clock moved it)
  status VARCHAR NOT NULL,            -- running | stopped (a running row whose process is gone: crashed)
  pid INTEGER NOT NULL,
  host VARCHAR NOT NULL,
  started_wall TIMESTAMP NOT NULL,    -- first start, wall
  heartbeat_wall TIMESTAMP NOT NULL,  -- last commit, wall
  stopped_wall TIMESTAMP,
  restarts INTEGER NOT NULL,
  late_events BIGINT NOT NULL,        -- rows stored too late for the kernel (docs/PAPER.md, "Parity")
  equity DOUBLE NOT NULL,             -- at the last commit
  position VARCHAR                    -- JSON of the open position at the last commit, NULL when flat
);
CREATE TABLE IF NOT EXISTS paper_signals (
  session VARCHAR NOT NULL,
  id INTEGER NOT NULL,
  ts DOUBLE NOT NULL,
  type VARCHAR NOT NULL,              -- absorption | divergence | ...
  direction VARCHAR NOT NULL,         -- long | short
  level DOUBLE NOT NULL,
  venue VARCHAR NOT NULL,             -- the signal's venue (merged when several)
  market_session VARCHAR NOT NULL,    -- Asia | Europe | US | ...
  acted BOOLEAN NOT NULL,
  veto_reason VARCHAR,
  zone_low DOUBLE, zone_high DOUBLE, zone_side VARCHAR, zone_source VARCHAR,
  cvd_15m DOUBLE, cvd_1h DOUBLE, cvd_1d DOUBLE,   -- the delta of the last closed bar of each, base units
  venues_score DOUBLE,                -- cross-venue agreement in [-1, 1] (NULL under two venues)
  venues_disagree BOOLEAN,
  evidence VARCHAR NOT NULL,          -- JSON: the detector's own figures (absorption ratio, liquidations, progress...)
  PRIMARY KEY (session, id)
);
CREATE TABLE IF NOT EXISTS paper_predictions (
  session VARCHAR NOT NULL,
  id INTEGER NOT NULL,                -- = paper_signals.id
  horizon_ms DOUBLE NOT NULL,
  ts DOUBLE NOT NULL,
  type VARCHAR NOT NULL, direction VARCHAR NOT NULL, level DOUBLE NOT NULL, venue VARCHAR NOT NULL, market_session VARCHAR NOT NULL,
  ref_price DOUBLE NOT NULL,
  resolved BOOLEAN NOT NULL,          -- false until the horizon has passed (the row is rewritten then)
  touched BOOLEAN NOT NULL, rejected BOOLEAN NOT NULL, broke_through BOOLEAN NOT NULL,
  return_bps DOUBLE, mfe_bps DOUBLE NOT NULL, mae_bps DOUBLE NOT NULL,
  hit BOOLEAN,
  PRIMARY KEY (session, id, horizon_ms)
);
CREATE TABLE IF NOT EXISTS paper_orders (
  session VARCHAR NOT NULL,
  id INTEGER NOT NULL,
  ts DOUBLE NOT NULL, arrival_ts DOUBLE NOT NULL,
  venue VARCHAR NOT NULL, symbol VARCHAR NOT NULL,
  side VARCHAR NOT NULL, type VARCHAR NOT NULL, qty DOUBLE NOT NULL, price DOUBLE,
  reason VARCHAR NOT NULL, status VARCHAR NOT NULL,
  fill_ts DOUBLE, fill_price DOUBLE, fee DOUBLE NOT NULL, slippage_bps DOUBLE, reject_reason VARCHAR,
  PRIMARY KEY (session, id)
);
CREATE TABLE IF NOT EXISTS paper_fills (
  session VARCHAR NOT NULL,
  key VARCHAR NOT NULL,               -- order:<id>, or liquidation:<trade id> (a liquidation makes no order)
  order_id INTEGER,
  trade_id INTEGER,
  ts DOUBLE NOT NULL, side VARCHAR NOT NULL, qty DOUBLE NOT NULL, price DOUBLE NOT NULL, fee DOUBLE NOT NULL,
  reason VARCHAR NOT NULL,            -- entry | stop | target | time | liquidation | a strategy's reason
  settled_on_resume BOOLEAN NOT NULL, -- filled on trades back-filled after a downtime (inside a paper_gaps span)
  PRIMARY KEY (session, key)
);
CREATE TABLE IF NOT EXISTS paper_positions (
  session VARCHAR NOT NULL,
  trade_id INTEGER NOT NULL,          -- one row per round trip: opened, then closed
  side VARCHAR NOT NULL, qty DOUBLE NOT NULL, entry_ts DOUBLE NOT NULL, entry_price DOUBLE NOT NULL,
  stop DOUBLE NOT NULL, target DOUBLE, liquidation_price DOUBLE, leverage DOUBLE,  -- liquidation_price NULL: none (1x)
  signal_id INTEGER, signal_type VARCHAR, market_session VARCHAR,
  exit_ts DOUBLE, exit_price DOUBLE, exit_reason VARCHAR, liquidated BOOLEAN,
  gross_pnl DOUBLE, fees DOUBLE, funding DOUBLE, pnl DOUBLE, risk DOUBLE,
  PRIMARY KEY (session, trade_id)
);
CREATE TABLE IF NOT EXISTS paper_funding (
  session VARCHAR NOT NULL,
  ts DOUBLE NOT NULL,                 -- the funding time
  rate DOUBLE NOT NULL,
  side VARCHAR NOT NULL, qty DOUBLE NOT NULL,
  payment DOUBLE NOT NULL,            -- quote paid by the position (> 0 paid, < 0 received)
  PRIMARY KEY (session, ts)
);
CREATE TABLE IF NOT EXISTS paper_equity (
  session VARCHAR NOT NULL,
  ts DOUBLE NOT NULL,
  equity DOUBLE NOT NULL,             -- wallet + unrealized at the mark: every minute with a position, hourly flat
  PRIMARY KEY (session, ts)
);
CREATE TABLE IF NOT EXISTS paper_strategies (
  session VARCHAR PRIMARY KEY,        -- a session started with --strategy FILE (none: the built-in seed strategy)
  file VARCHAR NOT NULL,              -- absolute path of the module
  sha256 VARCHAR NOT NULL             -- of its bytes at the start: a resume or backtest --session refuses a changed file
);
CREATE TABLE IF NOT EXISTS paper_gaps (
  session VARCHAR NOT NULL,
  from_ts DOUBLE NOT NULL,            -- kernel time at the last commit before the downtime
  to_ts DOUBLE,                       -- the watermark once past every stream's first event after the restart (NULL until then)
  from_wall TIMESTAMP NOT NULL, to_wall TIMESTAMP NOT NULL,
  kind VARCHAR NOT NULL,              -- downtime (the process was gone)
  detail VARCHAR NOT NULL,            -- what was settled on resume, in words
  PRIMARY KEY (session, from_wall)
);
`;
