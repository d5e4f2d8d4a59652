/**
 * `orderflow record`: live public market data from the venues into the store, flushed at least
 * every second, with the connectors' gaps, and optionally every raw frame to gzip captures.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { ReadEndpoint } from '../store/read-endpoint.ts';
import { DEFAULT_FLUSH_MS, Recorder, recordLabel } from '../store/recorder.ts';
import { Store } from '../store/store.ts';
import { tradeResumePoints } from '../store/trade-resume.ts';
import { createLiveClient } from '../venues/live/clients.ts';
import { LiveHealth } from '../venues/live/health.ts';
import type { LiveClient, StreamStatus, TradeResume } from '../venues/live/types.ts';
import { describeInstrumentSource, describeNotTrading, loadLiveInstruments } from '../venues/live/instrument-source.ts';
import { homeOption, resolveHomeOpt, type HomeOpts } from './common.ts';
import { liveRequest, MAX_PENDING_OPTION, maxPendingBytes, untilStopped } from './live-common.ts';
import { formatCount } from './format.ts';
import { numberOpt, secondsOpt } from './options.ts';
import { marketAlerts, withAlerts } from '../paper/alerts/live-alerts.ts';
import { connectBus } from '../bus/connection.ts';
import { publishingHandlers, recordedSubjects, resumeForBoth, withoutHeldTrades } from '../bus/live-publish.ts';
import { BusPublisher, type PublisherStats } from '../bus/publisher.ts';
import { DEFAULT_MAX_AGE_HOURS, DEFAULT_MAX_BYTES, DEFAULT_STREAM, ensureStream } from '../bus/stream.ts';

function describePublished(p: PublisherStats): string {
  return `published ${formatCount(p.publishedEvents)} events in ${formatCount(p.batches)} batches to the bus${p.duplicates ? `, ${p.duplicates} batches already there (de-duplicated)` : ''}${p.alreadyOnBus ? `, ${formatCount(p.alreadyOnBus)} events already on the bus not sent again` : ''}${p.dropped ? `, ${formatCount(p.dropped)} dropped (bus not acking)` : ''}`;
}

interface RecordOpts extends HomeOpts {
  symbol: string;
  bus?: string;
  store: boolean;
  stream: string;
  busMaxAge: string;
  busMaxGb: string;
  venues?: string;
  channels?: string;
  raw?: string;
  flushMs: string;
  maxPendingMb: string;
  seconds?: string;
  quiet?: boolean;
  config?: string;
}

export function registerRecord(program: Command): void {
  homeOption(
    program
      .command('record')
      .description('record live public market data (trades, liquidations, books, tickers) from Binance, OKX and Bybit into the store')
      .requiredOption('--symbol <list>', 'comma-separated symbols or base assets (AKT,BTC = the perpetuals on every venue)')
      .option('--venues <list>', 'comma-separated venues (default binance,okx,bybit)')
      .option('--channels <list>', 'trades,liquidations,book,ticker (default all)')
      .option('--raw <dir>', 'also write every raw frame to <dir>/<venue>-<time>.jsonl.gz, one file per venue and UTC hour (`<local_ns> <json>` lines, re-importable with orderflow import)')
      .option('--flush-ms <ms>', 'commit to the store this often (at most 1000)', String(DEFAULT_FLUSH_MS))
      .option(...MAX_PENDING_OPTION)
      .option('--seconds <n>', 'stop after this long (default: until Ctrl-C / SIGTERM)')
      .option('--quiet', 'no status lines')
      .option('--config <file>', 'strategy config whose alerts: block is evaluated on the live trades and liquidations (docs/LIVE.md "Alerts")')
      .option('--bus <url>', 'also publish every event to NATS JetStream at nats://HOST:PORT, subjects md.<venue>.<symbol>.<type> (docs/SCALING.md)')
      .option('--no-store', 'with --bus: publish only, keep nothing in a store')
      .option('--stream <name>', 'with --bus: the JetStream stream (created if missing)', DEFAULT_STREAM)
      .option('--bus-max-age <hours>', 'with --bus, when the stream is created: keep messages this long', String(DEFAULT_MAX_AGE_HOURS))
      .option('--bus-max-gb <GiB>', 'with --bus, when the stream is created: keep at most this much, oldest discarded first', String(DEFAULT_MAX_BYTES / 1024 ** 3)),
  )
    .addHelpText(
      'after',
      `
At start the venues' instrument lists are fetched (Binance exchangeInfo, OKX public/instruments
and position-tiers, Bybit instruments-info and risk-limit) and kept in the store's instruments
table; a venue that cannot be reached falls back to the list stored last time, then to the
bundled snapshot, and a line on stderr says which. A symbol the venue does not list stops the
command before anything connects, naming the closest listed symbols; a listed symbol that is
halted or being delisted is recorded with its status shown.

Stops cleanly on Ctrl-C or SIGTERM (last flush, ledger marked ok). After a crash or kill -9 at
most the last flush period is lost and the store opens clean; \`orderflow info\` counts such
interrupted sessions. The next \`record\` on the same home starts each trade stream where the
store's trades stopped and back-fills the outage from the venue's REST where it still serves it
(Binance and OKX by trade id, Bybit its newest 1000 trades); what it does not is a \`restart\` gap
row naming the ids or time span lost (docs/LIVE.md, "What each venue can and cannot recover"). Disconnects,
book resyncs and trade-id gaps that could not be back-filled go to the gaps table (\`orderflow info\`).

A row the store refuses (e.g. a trade id that is neither an integer nor a UUID) never stops the
recording: it goes with its raw frame and the reason to <home>/dead-letter/<UTC date>.jsonl and
every other row is stored (\`orderflow info\` counts them). When the store cannot keep up (disk
full, locked, stalled), rows wait in memory up to --max-pending-mb; beyond that the oldest
waiting events are dropped and a gap row with reason "store-backpressure" records each stream's
exact time range and count lost (with --raw their frames are still in the capture).

--raw files are flushed every second (zlib sync flush) and rotated every UTC hour: after a crash or
kill -9 the last file holds every frame up to about a second before, and orderflow import reads
it up to its last complete line (with a warning). When the disk cannot keep up, up to 64 MiB per
venue waits; beyond that the newest frames are dropped from the capture (not from the store)
and a line on stderr says how many. Besides the venues' frames a capture keeps the REST answers
a re-import needs, as frames of our own: Binance book snapshots (<symbol>@depthSnapshot) and
open interest polls (<symbol>@openInterest), and back-filled trades (kept out of a re-import).

While recording, every reading command (info, cvd, footprint, analyze, backtest, export, ...)
works on the same --home: the recorder answers its queries with what it has committed up to its
last flush. Writing commands (import, download, another record) are refused with a clear message
until it stops (docs/SCHEMA.md). A venue that cannot connect is said at once with its error (DNS,
refused connection, proxy) and retried; exit status 1 when no venue ever connected.
With --config, the file's flow and liquidation alert rules run on the live events as they
arrive (signal and outcome rules need orderflow paper) and fire to its channels in the
background: a channel that fails or hangs never slows the recording; the status line shows each
channel's sent, failed and dropped counts and its last error. A secret's environment variable
that is not set stops the command at start.
Endpoints: ORDERFLOW_<VENUE>_WS_URL / _REST_URL override them.

With --bus every event is also published to NATS JetStream, one batch per subject
md.<venue>.<symbol>.<type> every 250 ms (the stream is created if missing; docs/SCALING.md has
its settings and the batch format). Each batch carries a Nats-Msg-Id, so a publish retried after
a lost ack is stored once; at start the recorder reads the last batch the bus holds on each of
its subjects and does not publish again what is already there; trades are back-filled from the
earlier of where the store's and the bus's stopped, so neither misses the outage. With --no-store
nothing is kept locally: \`orderflow sink\` writes the bus into a store or a Parquet lake.

Examples:
  $ orderflow record --symbol BTC,ETH
  $ orderflow record --symbol AKT --venues binance,bybit --raw ./captures
  $ ORDERFLOW_BYBIT_WS_URL=ws://127.0.0.1:9443 orderflow record --symbol BTCUSDT --venues bybit --seconds 60
  $ orderflow record --symbol BTC,ETH --bus nats://10.0.0.5:4222 --no-store`,
    )
    .action(async (opts: RecordOpts) => {
      const req = liveRequest(opts);
      const seconds = secondsOpt(opts.seconds, '--seconds');
      const flushMs = numberOpt(opts.flushMs, '--flush-ms');
      const maxPending = maxPendingBytes(opts.maxPendingMb);
      // Before the store opens: a config error or a missing secret stops nothing half-started.
      const alertSetup = opts.config ? marketAlerts(opts.config, { terminal: (line) => console.error(line) }, req.channels) : undefined;
      const alerts = alertSetup?.alerts;
      for (const r of alertSetup?.ignored ?? []) console.error(`record: alert rule ${r}; ignored`);
      if (!opts.store && !opts.bus) throw new UsageError('--no-store: needs --bus (otherwise nothing would be kept)');
      if (!opts.store && opts.raw) throw new UsageError('--raw: the raw capture is written by the store\'s recorder; drop --no-store or --raw');
      const busMaxAge = numberOpt(opts.busMaxAge, '--bus-max-age', 'hours, above 0');
      const busMaxGb = numberOpt(opts.busMaxGb, '--bus-max-gb', 'GiB, above 0');
      if (!(busMaxAge > 0)) throw new UsageError(`--bus-max-age: expected hours, above 0, got ${JSON.stringify(opts.busMaxAge)}`);
      if (!(busMaxGb > 0)) throw new UsageError(`--bus-max-gb: expected GiB, above 0, got ${JSON.stringify(opts.busMaxGb)}`);
      const log = (line: string) => !opts.quiet && console.error(line);
      // The bus first: an unreachable server stops the command before anything else starts.
      const bus = opts.bus ? await connectBus(opts.bus, 'orderflow record') : undefined;
      let store: Store | undefined;
      let live;
      try {
        if (bus) await ensureStream(bus, { name: opts.stream, maxAgeHours: busMaxAge, maxBytes: Math.round(busMaxGb * 1024 ** 3) });
        if (opts.store) store = await Store.open(resolveHomeOpt(opts));
        live = await loadLiveInstruments({ venues: req.venues, inputs: req.inputs, store, save: true });
      } catch (e) {
        store?.close();
        await bus?.nc.close();
        throw e;
      }
      // A fallback is said even with --quiet: the contract values in use may be stale.
      for (const r of live.reports) (r.origin === 'venue' ? log : console.error)(`record: instruments: ${describeInstrumentSource(r)}`);
      for (const line of describeNotTrading(live.markets)) console.error(`record: ${line}`);
      const m = { venues: req.venues, symbols: live.symbols, channels: req.channels };
      const instruments = live.registry;
      const all = [...m.symbols.values()].flat();
      const recorder = store && await Recorder.open(store, {
        label: recordLabel(m.venues, [...new Set(all)]),
        flushMs,
        rawDir: opts.raw,
        maxPendingBytes: maxPending,
        onError: (e) => console.error(`orderflow record: a flush failed (kept, retried next time): ${e.message}`),
        onRawError: (e) => console.error(`orderflow record: ${e.message}`),
      });
      const reads = store && recorder && await ReadEndpoint.start(store, { liveImports: () => [recorder.importId] });
      const publisher = bus && new BusPublisher(bus, { stream: opts.stream, onError: (e) => console.error(`orderflow record: ${e.message}`) });
      if (publisher) {
        const held = await publisher.resumeFrom(recordedSubjects(m.symbols, m.channels));
        if (held > 0) log(`record: the bus already holds ${held} of these subjects: events up to its last batch on each are not published again`);
        publisher.start();
      }
      const health = new LiveHealth(m.venues);
      // Where the previous sessions' trades stopped: the connectors back-fill the outage from there.
      const resume = new Map<string, Awaited<ReturnType<typeof tradeResumePoints>>>();
      // What the store already holds, per venue, when the connectors resume from the bus's earlier point.
      const storeHas = new Map<string, Map<string, TradeResume>>();
      if (m.channels.includes('trades')) {
        for (const v of m.venues) {
          const points = store ? await tradeResumePoints(store, v, m.symbols.get(v)!) : undefined;
          const both = publisher ? resumeForBoth(m.symbols.get(v)!, points, (sym) => publisher.tradeResume(v, sym)) : { connector: points ?? new Map<string, TradeResume>(), storeHas: new Map<string, TradeResume>() };
          resume.set(v, both.connector);
          storeHas.set(v, both.storeHas);
          for (const [sym, p] of both.connector) {
            const from = both.storeHas.has(sym) || !points?.has(sym) ? 'on the bus' : 'stored';
            log(`record: ${v} ${sym}: resuming after the last trade ${from} (${p.lastId !== undefined ? `id ${p.lastId}, ` : ''}${new Date(p.lastTs).toISOString()}): the outage is back-filled where the venue still serves it`);
          }
        }
      }
      const streams = new Map<string, StreamStatus>();
      const clients: LiveClient[] = m.venues.map((v) => {
        const own = recorder?.handlers(v);
        const stored = own && withoutHeldTrades(own, storeHas.get(v) ?? new Map());
        const handlers = withAlerts(publisher ? publishingHandlers(stored, publisher) : stored!, alerts);
        const onStatus = (st: StreamStatus) => {
          handlers.onStatus?.(st);
          streams.set(`${st.venue}:${st.stream}`, st);
          // Said at once, even with --quiet: the user may be waiting on a venue that cannot be reached.
          if (health.note(st)) console.error(`record: ${v}: cannot connect yet (retrying): ${st.lastError}`);
        };
        return createLiveClient(v, { symbols: m.symbols.get(v)!, channels: m.channels, instruments, resume: resume.get(v), handlers: { ...handlers, onStatus } });
      });
      const stop = untilStopped(seconds);
      const status = setInterval(() => {
        const s = recorder?.stats();
        const states = [...(s?.status ?? streams).values()].reduce<Record<string, number>>((acc, x) => ((acc[x.state] = (acc[x.state] ?? 0) + 1), acc), {});
        const parts = [`streams ${Object.entries(states).map(([k, n]) => `${k} ${n}`).join(', ') || '-'}`];
        if (s) parts.unshift(`${formatCount(s.events)} events, ${formatCount(s.rowsWritten)} rows stored in ${s.flushes} flushes, ${s.gaps} gaps, ${s.deadLettered} dead-lettered${s.dropped ? `, ${formatCount(s.dropped)} dropped (store backpressure)` : ''}`);
        if (publisher) parts.push(describePublished(publisher.stats()));
        log(`record: ${parts.join(', ')}`);
        for (const p of health.problems()) log(`record: ${p}`);
        if (alerts) log(`record: ${alerts.statusText()}`);
      }, 10_000);
      // A venue that cannot connect keeps retrying in the background: recording goes on with the others.
      for (const [i, c] of clients.entries()) c.start().catch((e: Error) => log(`record: ${m.venues[i]}: ${e.message}`));
      const into = [store?.path, bus && `the bus ${bus.url} (stream ${opts.stream})`].filter(Boolean).join(' and ');
      log(`recording ${m.venues.map((v) => `${v} ${m.symbols.get(v)!.join(',')}`).join('; ')} into ${into}${opts.raw ? `, raw frames to ${opts.raw}` : ''} (Ctrl-C to stop)`);
      const why = await stop.done;
      stop.dispose();
      clearInterval(status);
      log(`record: stopping (${why})`);
      await Promise.all(clients.map((c) => c.stop().catch(() => {})));
      await alerts?.close();
      await recorder?.close();
      await reads?.close();
      store?.close();
      // The last batches: a bus that does not answer now leaves them unpublished, said below.
      await publisher?.close().catch(() => {});
      await bus?.nc.drain().catch(() => {});
      const s = recorder?.stats();
      if (recorder && s) {
        console.log(`recorded ${s.rowsWritten} rows (${s.events} events) in ${s.flushes} flushes, ${s.gaps} gaps${s.rawFrames ? `, ${s.rawFrames} raw frames in ${recorder.rawFiles().join(', ')}` : ''}`);
        if (s.deadLettered > 0) console.log(`${s.deadLettered} rows the store refused are in ${recorder.deadLetterFiles().join(', ')}`);
        if (s.rawDropped > 0) console.log(`${s.rawDropped} raw frames were dropped from the capture because the disk could not keep up (their events are in the store)`);
        if (s.dropped > 0) console.log(`${s.dropped} events dropped because the store could not keep up (store-backpressure gap rows in orderflow info)`);
      }
      if (publisher) {
        const p = publisher.stats();
        console.log(describePublished(p));
        if (p.unackedBatches > 0) console.log(`${p.unackedBatches} batches were not acked by the bus at exit and are not on it`);
      }
      if (alerts) console.log(alerts.statusText());
      if (health.nothingConnected()) {
        console.error(`orderflow record: no venue ever connected, nothing was recorded\n${health.problems().map((p) => `  ${p}`).join('\n')}`);
        process.exitCode = 1;
      }
    });
}
