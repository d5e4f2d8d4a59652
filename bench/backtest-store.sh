#!/bin/sh
# A realistic-size `orderflow backtest`: the backtest bench's synthetic market (N events, default
# 30M, ~16 days) written once into a store under bench/.data (bench/backtest-store.ts), then the
# built command (dist/ through bin/orderflow) with the default config (20 null-model seeds) timed
# by /usr/bin/time -v, with the given worker counts (default: 2, then 1 = all in one thread).
#
#   sh bench/backtest-store.sh [events] [workers...]
#
# Prints each run's headline and wall time, CPU, peak RSS and the load average around it
# (docs/BENCHMARKS.md "backtest: a 16-day, 20-seed run from the store").
set -eu
cd "$(dirname "$0")/.."
N=${1:-30000000}
[ $# -gt 0 ] && shift
WORKERS=${*:-2 1}
HOME_DIR=bench/.data/backtest-$N
node --import tsx bench/backtest-store.ts --events "$N" --home "$HOME_DIR"
npm run --silent build
for w in $WORKERS; do
  out=bench/.data/run-$N-w$w
  rm -rf "$out"
  echo "== --workers $w, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -v bin/orderflow backtest --home "$HOME_DIR" --symbol BTCUSDT --venues binance,bybit --workers "$w" --out "$out" 2>"$out.time" | sed '/^run folder/,$d'
  grep -E 'Elapsed|User time|System time|Percent of CPU|Maximum resident' "$out.time"
  echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
