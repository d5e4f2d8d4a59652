"""
Runs freqtrade's own orderflow code, freqtrade/data/converter/orderflow.py
(populate_dataframe_with_trades), on a trades CSV, for `npm run bench -- footprint`.

    /usr/bin/python3 bench/freqtrade_footprint.py <freqtrade source dir> <trades.csv> <timeframe>
        <scale> <imbalance_ratio> <imbalance_volume> <stacked_imbalance_range>

The CSV is the bench's `timestamp_ms,price,amount,side`. Prints one JSON line: the seconds of
the load (CSV -> freqtrade's trades and OHLCV dataframes, untimed by the ratio) and of
populate_dataframe_with_trades itself (the reference; wall and CPU), and totals of its result so the bench can
check both sides computed the same thing.

Only orderflow.py and what it imports are loaded, by file: freqtrade's package __init__ files
import the whole bot (ccxt, jsonschema, sqlalchemy...), which is not installed here. The
stand-ins below are import plumbing only, none computes anything of the footprint:
- empty parent packages (freqtrade.data, .data.converter, .exchange, .util), so that the real
  modules can be loaded one by one without their __init__;
- `humanize`, imported by freqtrade/util/datetime_helpers.py for functions not used here;
- `ccxt`, of which freqtrade/exchange/exchange_utils_timeframe.py uses the two static timeframe
  helpers below, copied from ccxt's python/ccxt/base/exchange.py (Exchange.parse_timeframe,
  Exchange.round_timeframe) so the timeframe arithmetic runs as in freqtrade.
The OHLCV candles are built as freqtrade's trades_to_ohlcv builds them (trade_converter.py
imports freqtrade.configuration, hence jsonschema): its five lines are repeated in load().
"""

import importlib.util
import json
import sys
import time
import types
from collections import OrderedDict


def stub(name, **attrs):
    m = types.ModuleType(name)
    m.__path__ = []  # a package, so real submodules can be attached below it
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def load_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    sys.modules[name] = m
    spec.loader.exec_module(m)
    return m


class _CcxtExchange:
    """ccxt.Exchange's static timeframe helpers (ccxt python/ccxt/base/exchange.py)."""

    @staticmethod
    def parse_timeframe(timeframe):
        amount = int(timeframe[0:-1])
        unit = timeframe[-1]
        if "y" == unit:
            scale = 60 * 60 * 24 * 365
        elif "M" == unit:
            scale = 60 * 60 * 24 * 30
        elif "w" == unit:
            scale = 60 * 60 * 24 * 7
        elif "d" == unit:
            scale = 60 * 60 * 24
        elif "h" == unit:
            scale = 60 * 60
        elif "m" == unit:
            scale = 60
        elif "s" == unit:
            scale = 1
        else:
            raise ValueError("timeframe unit {} is not supported".format(unit))
        return amount * scale

    @staticmethod
    def round_timeframe(timeframe, timestamp, direction=3):
        ms = _CcxtExchange.parse_timeframe(timeframe) * 1000
        offset = timestamp % ms
        return timestamp - offset + (ms if direction == 2 else 0)


def import_orderflow(src):
    sys.path.insert(0, src)
    # ccxt: ROUND_UP = 2, ROUND_DOWN = 3 (ccxt/base/decimal_to_precision.py)
    stub("ccxt", Exchange=_CcxtExchange, ROUND_UP=2, ROUND_DOWN=3)
    stub("humanize")
    stub("freqtrade.util")
    load_file("freqtrade.util.datetime_helpers", f"{src}/freqtrade/util/datetime_helpers.py")
    exchange = stub("freqtrade.exchange")
    tf = load_file("freqtrade.exchange.exchange_utils_timeframe", f"{src}/freqtrade/exchange/exchange_utils_timeframe.py")
    for k in ("timeframe_to_next_date", "timeframe_to_prev_date", "timeframe_to_resample_freq", "timeframe_to_seconds", "timeframe_to_msecs", "timeframe_to_minutes"):
        setattr(exchange, k, getattr(tf, k))
    stub("freqtrade.data")
    stub("freqtrade.data.converter")
    return load_file("freqtrade.data.converter.orderflow", f"{src}/freqtrade/data/converter/orderflow.py")


def load(csv, timeframe):
    import pandas as pd
    from freqtrade.constants import DEFAULT_DATAFRAME_COLUMNS, DEFAULT_TRADES_COLUMNS, TRADES_DTYPES
    from freqtrade.exchange import timeframe_to_resample_freq

    raw = pd.read_csv(csv)
    # freqtrade's trades dataframe (trades_list_to_df + trades_convert_types): every column of
    # DEFAULT_TRADES_COLUMNS, TRADES_DTYPES, and `date` in UTC.
    trades = pd.DataFrame(
        {
            "timestamp": raw["timestamp_ms"],
            "id": raw.index,
            "type": None,
            "side": raw["side"],
            "price": raw["price"],
            "amount": raw["amount"],
            "cost": raw["price"] * raw["amount"],
        },
        columns=DEFAULT_TRADES_COLUMNS,
    )
    trades = trades.astype(TRADES_DTYPES)
    trades["date"] = pd.to_datetime(trades["timestamp"], unit="ms", utc=True)
    # freqtrade's trades_to_ohlcv
    df = trades.set_index("date", drop=True)
    resample_interval = timeframe_to_resample_freq(timeframe)
    ohlcv = df["price"].resample(resample_interval).ohlc()
    ohlcv["volume"] = df["amount"].resample(resample_interval).sum()
    ohlcv["date"] = ohlcv.index
    ohlcv = ohlcv.dropna()
    ohlcv = ohlcv.loc[:, DEFAULT_DATAFRAME_COLUMNS].reset_index(drop=True)
    return trades, ohlcv


def totals(df):
    import numpy as np

    done = df[df["total_trades"].notna()]
    levels = bid_imb = ask_imb = 0
    for of in done["orderflow"]:
        levels += len(of)
    for imb in done["imbalances"]:
        for v in imb.values():
            bid_imb += bool(v["bid_imbalance"])
            ask_imb += bool(v["ask_imbalance"])
    sib = done["stacked_imbalances_bid"].astype(float)
    sia = done["stacked_imbalances_ask"].astype(float)
    return {
        "candles": int(len(done)),
        "trades": int(done["total_trades"].sum()),
        "levels": int(levels),
        "bid": float(done["bid"].sum()),
        "ask": float(done["ask"].sum()),
        "delta": float(done["delta"].sum()),
        "min_delta": float(done["min_delta"].sum()),
        "max_delta": float(done["max_delta"].sum()),
        "bid_imbalances": int(bid_imb),
        "ask_imbalances": int(ask_imb),
        "stacked_bid": int(np.isfinite(sib).sum()),
        "stacked_ask": int(np.isfinite(sia).sum()),
        "stacked_bid_sum": float(np.nansum(sib)),
        "stacked_ask_sum": float(np.nansum(sia)),
    }


def main():
    src, csv, timeframe = sys.argv[1], sys.argv[2], sys.argv[3]
    scale, ratio, volume, stacked = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
    import pandas as pd

    orderflow = import_orderflow(src)
    t0 = time.perf_counter()
    trades, ohlcv = load(csv, timeframe)
    load_s = time.perf_counter() - t0
    config = {
        "timeframe": timeframe,
        "orderflow": {
            "max_candles": len(ohlcv),
            "scale": scale,
            "imbalance_ratio": ratio,
            "imbalance_volume": volume,
            "stacked_imbalance_range": stacked,
            "cache_size": len(ohlcv) + 1,
        },
    }
    t0, c0 = time.perf_counter(), time.process_time()
    df, _ = orderflow.populate_dataframe_with_trades(OrderedDict(), config, ohlcv, trades)
    populate_s, populate_cpu = time.perf_counter() - t0, time.process_time() - c0
    out = {
        "load_seconds": load_s,
        "populate_seconds": populate_s,
        "populate_cpu_seconds": populate_cpu,
        "pandas": pd.__version__,
        "python": sys.version.split()[0],
    }
    out.update(totals(df))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
