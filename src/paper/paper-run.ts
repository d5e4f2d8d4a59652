/**
 * A paper session (docs/PAPER.md): live feeds -> the recorder (the store, as `orderflow record`)
 * and, in the same handler, the kernel's in-memory feed (push-feed.ts), released up to the
 * watermark (watermark.ts) on every frame -> the backtest's kernel (kernel.ts); every step the
 * recorder's rows are committed, then the journal (journal.ts) with what the kernel had made
 * from them.
 *
 * At start the kernel catches up from the store (stored-feed.ts: the session's stored events up
 * to the first watermark), then hands over to the in-memory feed at that watermark: the stored
 * read takes rows stamped before it, the memory rows from it on, so none is seen twice or missed.
 *
 * Crash-only: nothing but the store holds state. Starting a session that exists (after a stop or
 * a kill -9) builds a fresh kernel and replays the session's stored events through it from its
 * start: the kernel is deterministic, so it arrives at the same position, pending orders and
 * pending predictions it had, and the journal (keyed by the kernel's ids) takes no row twice. The
 * recorder back-fills the trades the venues still serve for the downtime before the watermark
 * moves (SETTLE_MS), so a stop or liquidation price crossed while down is settled on them in
 * time order, and said so.
 */
import { hostname } from 'node:os';
import type { CaptureRecord, Venue } from '../core/events.ts';
import type { Instrument } from '../core/instruments.ts';
import { processAlive } from '../core/process-alive.ts';
import { parseConfig, type BacktestConfig } from '../engine/config.ts';
import type { EngineProgress } from '../engine/engine.ts';
import { effectiveWarmup } from '../engine/warmup.ts';
import { busLiveClient, storeHeld } from '../bus/bus-client.ts';
import type { Bus } from '../bus/connection.ts';
import { bookReadFrom } from '../store/book-reader.ts';
import { ReadEndpoint } from '../store/read-endpoint.ts';
import { Recorder, DEFAULT_FLUSH_MS } from '../store/recorder.ts';
import type { Store } from '../store/store.ts';
import { tradeResumePoints } from '../store/trade-resume.ts';
import { createLiveClient, type LiveVenue } from '../venues/live/clients.ts';
import { LiveHealth } from '../venues/live/health.ts';
import { describeInstrumentSource, describeNotTrading, loadLiveInstruments } from '../venues/live/instrument-source.ts';
import type { LiveClient, LiveHandlers, StreamStatus } from '../venues/live/types.ts';
import { DecisionLatency } from './decision-latency.ts';
import { EngineAlerts, NOTHING_ALERTED } from './alerts/engine-alerts.ts';
import type { ChannelOptions } from './alerts/channels-from-config.ts';
import { LiveAlerts } from './alerts/live-alerts.ts';
import { PaperJournal, type CommitState, type FundingPayment, type SessionRow } from './journal.ts';
import { newSessionStrategy, recordedStrategy, type StrategyFactory, type StrategyRecord } from './session-strategy.ts';
import { execPair, paperKernel, type PaperKernel } from './kernel.ts';
import { fromJson, toJson } from './json.ts';
import { HASH_P, PushFeed, storedMs, storedUntil, type ReleaseMix } from './push-feed.ts';
import { shadowCheck, type ShadowSpan } from './shadow-check.ts';
import { StoredFeed, type FeedMarket } from './stored-feed.ts';
import { Watermark } from './watermark.ts';

/** After a (re)start, the watermark waits this long for the venues' back-fill of the downtime. */
export const SETTLE_MS = 3000;

/** No frame from any stream for longer than this is a stall of this process (or a silence of all), not a stream's quiet. */
const STALL_MS = 100;

export interface PaperOptions {
  readonly store: Store;
  readonly name: string;
  /** What --symbol said (one market: a base asset or a symbol in any venue's spelling). */
  readonly symbol: string;
  readonly venues: readonly LiveVenue[];
  /** The config of a new session; a resumed session keeps its own (a different one is refused). */
  readonly config: BacktestConfig;
  /** True when --config was given (a resumed session then checks it is the same). */
  readonly configGiven?: boolean;
  /** --strategy FILE: a strategy module for a new session (recorded; a resumed session loads its own, and refuses this one if it differs: session-strategy.ts). */
  readonly strategyFile?: string;
  readonly quietMs?: number;
  /** The push path's bounded hold (watermark.ts `graceMs`): exchange ms a stream may lag its venue's newest time. Default Infinity (each stream holds). */
  readonly graceMs?: number;
  /** Wall ms between steps (flush, journal commit, the wall clock when quiet). Default the recorder's flush period. */
  readonly stepMs?: number;
  readonly settleMs?: number;
  /** The recorder's bound on rows waiting for the store, bytes (record's --max-pending-mb). Default the recorder's. */
  readonly maxPendingBytes?: number;
  /** Lines for the user (instrument sources, resume notes, settlements). */
  readonly log: (line: string) => void;
  /** Measurement taps (bench/paper.ts): they see, and change nothing. */
  readonly probe?: PaperProbe;
  /** How the alert channels of the config's `alerts:` block are built (the terminal channel's writer; tests: env, backoff). */
  readonly alertChannels?: ChannelOptions;
  /** Take the events from the bus (a recorder fleet publishing to JetStream) instead of connecting to the venues. */
  readonly bus?: { readonly bus: Bus; readonly stream?: string };
}

export interface PaperProbe {
  /** Each raw frame as received (epoch ns), before it is parsed. */
  onRawFrame?(text: string, localNs: bigint): void;
  /** Each frame's events, before the recorder has them. */
  onEvents?(records: readonly CaptureRecord[], localTs: number): void;
  /** After each push: the kernel has seen every row stamped before `watermarkTs` (from the store at the catch-up, from memory after). */
  onPushed?(watermarkTs: number, progress: EngineProgress): void;
  /**
   * In a frame's handler (the frame the probe's `onEvents` saw last): its records moved the
   * watermark past held rows. `atOnce`: they are pushed now, before the handler returns; false: at
   * the end of this turn of the event loop (within 100 ms of a stream coming back or falling quiet: PaperRun.pushOnFrame).
   */
  onWatermarkMoved?(atOnce: boolean): void;
  /** After each push from memory that released rows: how many (`mix`: by kind, overwritten by the next push), and how long the kernel took on them (features, strategy, decisions), ms. */
  onReleased?(rows: number, ms: number, mix: Readonly<ReleaseMix>): void;
}

export interface PaperStatus {
  readonly session: string;
  readonly started: boolean;
  readonly kernelTs: number;
  readonly progress: EngineProgress | undefined;
  readonly streams: ReadonlyMap<string, StreamStatus>;
  readonly health: LiveHealth;
  /** Predictions resolved today (UTC day of the kernel's time) at the shortest horizon, and the hits among them. */
  readonly today: { readonly n: number; readonly hits: number };
  readonly lateEvents: number;
  readonly lastCommitMs: number;
  /** The alerts' line (`alerts: 2 fired; webhook 2 sent`), when the config has an `alerts:` block. */
  readonly alerts: string | undefined;
  /** Rows the kernel took from the store (the catch-up) and from memory (after the handover), and the handover. */
  readonly fed: { readonly stored: number; readonly memory: number; readonly handoverTs: number; readonly heldAtHandover: number };
  /** The push path's shadow check: spans checked, those late rows made inconclusive, and the mismatch that stopped the session, if any. */
  readonly shadow: { readonly checked: number; readonly inconclusive: number; readonly mismatch: string | undefined };
}

/** One journal commit's content, taken when the recorder takes its rows. */
interface JournalBatch {
  readonly progress: EngineProgress;
  readonly predictions: ReturnType<PaperKernel['engine']['predictions']> | undefined;
  readonly funding: readonly FundingPayment[];
  readonly state: CommitState;
}

/** The kernel's markets as the feeds read them (the same venues, symbols and book as the kernel and the backtest). */
function feedMarket(c: BacktestConfig, pairs: readonly (readonly [Venue, string])[], bookFromMs: number): FeedMarket {
  const [execVenue, execSymbol] = execPair(pairs, c);
  return { venues: [...new Set(pairs.map((p) => p[0]))], symbols: [...new Set(pairs.map((p) => p[1]))], execVenue, execSymbol, needBook: c.execution.useBook || c.entry.vetoOnBaitOnly, bookFromMs };
}

/** Per stream (venue:type): rows handed to the recorder since the last step. */
interface Handed {
  maxTs: number;
  lastWall: number;
}

export class PaperRun {
  private kernel: PaperKernel | undefined;
  private feed: StoredFeed | undefined;
  /** The store path's clock (rows committed): the catch-up reads up to it. */
  private readonly watermark: Watermark;
  /** The push path's clock (rows received), from the handover on. */
  private readonly pushClock: Watermark;
  private readonly push: PushFeed;
  /** A push waits for the end of this turn of the event loop (within STALL_MS of a stream coming back or falling quiet: pushOnFrame). */
  private releasing = false;
  /** Until this wall time pushes wait for the end of their turn (STALL_MS after a stream came back or fell quiet). */
  private deferUntil = -Infinity;
  private readonly releaseTick = (): void => {
    this.releasing = false;
    if (this.stopped || this.failure) return;
    try {
      this.pushNow(Date.now());
    } catch (e) {
      // As a failed step: the kernel cannot go on consistently (the caller stops; a restart replays).
      this.failure = e as Error;
      this.o.log(`paper: push failed: ${this.failure.message}`);
    }
  };
  /** Wall time of the last frame from any stream. */
  private lastFrameWall = Infinity;
  /** The kernel has caught up from the store and takes its rows from memory. */
  private handedOver = false;
  /** Where the store's rows ended and memory's began, and how many rows memory held then (received during the catch-up). */
  private handover = { ts: NaN, held: 0 };
  /** The newest stored time of the session's markets before this process stored anything: memory cannot give those rows, so the handover comes after it. */
  private storedBefore = -Infinity;
  private handed = new Map<string, Handed>();
  private timer: NodeJS.Timeout | undefined;
  private stepping: Promise<void> | undefined;
  private stopped = false;
  private settleUntil: number;
  private resumedFrom: SessionRow | undefined;
  private gapOpen = false;
  private failure: Error | undefined;
  private readonly health: LiveHealth;
  private today = { day: NaN, n: 0, hits: 0 };
  /** Per stream, the first event's time since this start. */
  private readonly firstTs = new Map<string, number>();
  /** Rows handed to the recorder stamped before the watermark while catching up (docs/PAPER.md, "The clock"); the push feed counts its own after. */
  private late = 0;
  /** Signals and open predictions at the last journal commit: predictions are re-read only when they may have changed. */
  private seen = { signals: 0, open: 0 };
  /** Memory's span not yet checked against the store (its flush failed: it waits for the next). */
  private shadowPending: ShadowSpan | undefined;
  private shadowState = { checked: 0, inconclusive: 0, mismatch: undefined as string | undefined };
  private readonly shadowMarket: FeedMarket;
  /** The signals and outcomes the kernel produced, to the alert rules (once each, across restarts). */
  private engineAlerts: EngineAlerts | undefined;
  /** Event receipt -> strategy decision, per signal made from events this process received. */
  readonly latency = new DecisionLatency();
  /** The strategy module (--strategy; undefined: the seed strategy), and what a new session records of it. */
  private strategy: { readonly make: StrategyFactory | undefined; readonly record?: StrategyRecord } = { make: undefined };

  private constructor(
    private readonly o: PaperOptions,
    private readonly reader: Store,
    private readonly journal: PaperJournal,
    private readonly recorder: Recorder,
    private readonly reads: ReadEndpoint,
    private readonly clients: LiveClient[],
    private config: BacktestConfig,
    private readonly pairs: readonly (readonly [Venue, string])[],
    private readonly instrument: Instrument,
    prev: SessionRow | undefined,
    health: LiveHealth,
    private readonly alerts: LiveAlerts | undefined,
  ) {
    this.watermark = new Watermark(-Infinity, { quietMs: o.quietMs });
    this.pushClock = new Watermark(-Infinity, { quietMs: o.quietMs, graceMs: o.graceMs });
    this.shadowMarket = feedMarket(config, pairs, prev ? prev.start_ts : -Infinity);
    this.push = new PushFeed(this.shadowMarket);
    this.settleUntil = Date.now() + (o.settleMs ?? SETTLE_MS);
    this.resumedFrom = prev;
    this.health = health;
  }

  static async start(o: PaperOptions): Promise<PaperRun> {
    const store = o.store;
    const journal = await PaperJournal.open(store, o.name);
    const prev = await journal.sessionRow();
    // A refusal closes the journal's connection: an open one keeps the store file locked.
    const refuse = (e: Error) => (journal.close(), e);
    if (prev && prev.status === 'running' && prev.host === hostname() && processAlive(prev.pid) && prev.pid !== process.pid) throw refuse(new RangeError(`paper session ${o.name} is running in PID ${prev.pid}: stop it first`));
    const live = await loadLiveInstruments({ venues: prev ? (prev.venues.split(',') as LiveVenue[]) : o.venues, inputs: [prev ? prev.symbol : o.symbol], store, save: true });
    for (const r of live.reports) if (r.origin !== 'venue') o.log(`paper: instruments: ${describeInstrumentSource(r)}`);
    for (const line of describeNotTrading(live.markets)) o.log(`paper: ${line}`);
    let config = o.config;
    let pairs: (readonly [Venue, string])[];
    let instrument: Instrument;
    let strategy: PaperRun['strategy'] = { make: undefined };
    if (prev) {
      config = parseConfig(JSON.parse(prev.config), `session ${o.name} config`);
      if (o.configGiven && JSON.stringify(o.config) !== JSON.stringify(config)) throw refuse(new RangeError(`paper session ${o.name} runs with the config it started with; --config differs from it (start a new --session to change it)`));
      pairs = JSON.parse(prev.pairs) as [Venue, string][];
      instrument = fromJson(prev.instrument) as Instrument;
      strategy = { make: await recordedStrategy(o.name, await journal.strategy(), o.strategyFile).catch((e: Error) => Promise.reject(refuse(e))) };
    } else {
      if (o.strategyFile !== undefined) strategy = await newSessionStrategy(o.strategyFile).catch((e: Error) => Promise.reject(refuse(e)));
      pairs = o.venues.map((v) => {
        const s = live.symbols.get(v);
        if (!s || s.length === 0) throw new RangeError(`${v} lists no market for ${o.symbol}`);
        if (s.length > 1) throw new RangeError(`--symbol ${o.symbol} names ${s.length} markets on ${v} (${s.join(', ')}): a paper session trades one`);
        return [v, s[0]] as const;
      });
      const [ev, es] = execPair(pairs, config);
      // The execution market first: the backtest over the session takes the same order.
      pairs = [[ev, es], ...pairs.filter((p) => p[0] !== ev)];
      const inst = live.registry.get(ev, es);
      if (!inst) throw new RangeError(`no instrument metadata for ${ev} ${es}: margin, fees and lot size are unknown`);
      instrument = inst;
    }
    // Before anything connects: a missing channel secret stops the start, naming the variable.
    const alerts = config.alerts ? new LiveAlerts(config.alerts, o.alertChannels) : undefined;
    const venues = [...new Set(pairs.map((p) => p[0]))] as LiveVenue[];
    const recorder = await Recorder.open(store, {
      label: `paper ${o.name} ${pairs.map((p) => `${p[0]}:${p[1]}`).join(',')}`,
      flushMs: DEFAULT_FLUSH_MS,
      maxPendingBytes: o.maxPendingBytes,
      onError: (e) => o.log(`paper: a store flush failed (kept, retried next time): ${e.message}`),
    });
    const reads = await ReadEndpoint.start(store, { liveImports: () => [recorder.importId] });
    const reader = await store.ownConnection();
    const health = new LiveHealth(venues);
    const clients: LiveClient[] = [];
    const run = new PaperRun(o, reader, journal, recorder, reads, clients, config, pairs, instrument, prev, health, alerts);
    run.strategy = strategy;
    if (alerts) run.engineAlerts = new EngineAlerts(alerts, prev ? await journal.alerted() : NOTHING_ALERTED);
    for (const v of venues) {
      const symbols = pairs.filter((p) => p[0] === v).map((p) => p[1]);
      const resume = await tradeResumePoints(store, v, symbols);
      const handlers = run.handlers(recorder.handlers(v), health);
      if (o.bus) {
        // A resume takes the downtime from the bus (what the store holds is dropped), as the connectors back-fill it from
        // the venues; a new session starts with the next batch (not hours back into the bus, before its own start).
        const held = prev ? await storeHeld(store, v, symbols, resume) : undefined;
        clients.push(busLiveClient({ bus: o.bus.bus, stream: o.bus.stream, venue: v, symbols, handlers, held, onBadBatch: (subject, e) => o.log(`paper: an unreadable batch on ${subject} skipped: ${e.message}`) }));
      } else clients.push(createLiveClient(v, { symbols, instruments: live.registry, resume, handlers }));
    }
    if (prev) {
      const was = prev.status === 'running' ? 'crashed (its process is gone)' : 'stopped';
      o.log(`paper: resuming session ${o.name} (${was}; last commit at exchange time ${iso(prev.kernel_ts)}): replaying its stored events from ${iso(prev.start_ts)} through a fresh kernel`);
      await journal.restart(prev, 'downtime: the trades the venues back-fill are replayed in time order');
      run.gapOpen = true;
    }
    run.storedBefore = await storedUntil(store, feedMarket(config, pairs, -Infinity));
    for (const [i, c] of clients.entries()) c.start().catch((e: Error) => o.log(`paper: ${venues[i]}: ${e.message}`));
    run.schedule();
    return run;
  }

  /** The recorder's handlers, with each event's stream, time and arrival noted for the watermark. */
  private handlers(inner: LiveHandlers, health: LiveHealth): LiveHandlers {
    const probe = this.o.probe;
    const raw = probe?.onRawFrame;
    return {
      ...inner,
      ...(raw
        ? {
            onRawFrame: (text: string, localNs: bigint) => {
              raw(text, localNs);
              inner.onRawFrame?.(text, localNs);
            },
          }
        : {}),
      onEvents: (records, localTs) => {
        probe?.onEvents?.(records, localTs);
        const wall = Date.now();
        // A span with no frame at all (the loop held by a long push or the store, or every feed
        // silent) is nobody's silence: the streams whose frames wait behind it are not quiet.
        if (wall - this.lastFrameWall > STALL_MS) this.pushClock.unheard(wall - this.lastFrameWall);
        this.lastFrameWall = wall;
        const received = performance.now();
        const pushing = this.handedOver;
        for (const r of records) {
          if (!('ts' in r) || !Number.isFinite(r.ts)) continue;
          this.latency.received(r.ts, received);
          const key = streamKey(r.venue, r.type);
          if (!this.firstTs.has(key)) this.firstTs.set(key, r.ts);
          if (pushing) {
            if (this.push.add(r)) this.pushClock.committed(key, r.ts, wall);
            continue;
          }
          // Catching up: counted against the store path's clock; held in memory for the handover.
          if (this.watermark.isLate(r.ts)) this.late++;
          if (this.push.add(r)) this.pushClock.committed(key, r.ts, wall);
          const h = this.handed.get(key);
          if (!h) this.handed.set(key, { maxTs: r.ts, lastWall: wall });
          else {
            if (r.ts > h.maxTs) h.maxTs = r.ts;
            h.lastWall = wall;
          }
        }
        // The recorder has the rows before the kernel acts on them: a journal commit follows the
        // recorder's flush of every row its output came from (step()).
        inner.onEvents(records, localTs);
        if (pushing) this.pushOnFrame(wall);
        // Flow and liquidation rules on the live events as they come (as in record and watch).
        this.alerts?.onEvents(records);
      },
      onStatus: (s) => {
        inner.onStatus?.(s);
        if (health.note(s)) this.o.log(`paper: ${s.venue}: cannot connect yet (retrying): ${s.lastError}`);
      },
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.stepping = this.step()
        .catch((e: Error) => {
          this.failure = e;
          this.o.log(`paper: step failed: ${e.message}`);
        })
        .finally(() => {
          this.stepping = undefined;
          if (!this.failure) this.schedule();
        });
    }, this.o.stepMs ?? DEFAULT_FLUSH_MS);
  }

  /** An error of the kernel or the journal: the session cannot go on consistently (the caller stops; a restart replays). */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** The kernel takes every held row before the push clock's watermark (the streams', not the wall clock's: that is the step's). */
  private pushNow(wall: number): void {
    const w = this.pushClock.advance(wall);
    if (w.fromWall || !Number.isFinite(w.ts)) return;
    this.release(w.ts);
  }

  /**
   * After a frame's records are in (the push feed and the recorder): when they moved the push
   * clock's watermark, the rows it passed go into the kernel now, inside this frame's handler. At
   * the end of the event loop's turn (as before) they waited for every other frame read in that
   * turn, hundreds after a stall of the loop, and the socket and DuckDB callbacks between them:
   * 137 ms at p99 (docs/PAPER.md, "The push path"). The order is the same: a release takes the held
   * rows stamped before the watermark whenever it runs, and the watermark only grows.
   *
   * Except for STALL_MS after a stream came back or fell quiet (`flips`): the frames read with
   * this one, or in the next reads, may be the first of other streams coming back (after a stall
   * of this process, or after every stream fell quiet; a venue's second socket), which the
   * watermark would otherwise pass before they are read; pushes then wait for the end of their
   * turn, as before, when the turn's frames are in.
   */
  private pushOnFrame(wall: number): void {
    if (this.stopped || this.failure) return;
    const clock = this.pushClock;
    const flips = clock.flips;
    const ts = clock.advanceTs(wall);
    // A flip defers the pushes of the next STALL_MS, whether or not this frame moved W.
    if (clock.flips !== flips) this.deferUntil = wall + STALL_MS;
    if (wall < this.deferUntil && !this.releasing) {
      this.releasing = true;
      setImmediate(this.releaseTick);
    }
    if (clock.fromWall || !(storedMs(ts) > this.push.position)) return;
    const atOnce = !this.releasing;
    // Whether the release pushes anything is asked only for a probe that listens (the bench).
    const probe = this.o.probe;
    if (probe?.onWatermarkMoved && this.push.holdsBefore(ts)) probe.onWatermarkMoved(atOnce);
    if (!atOnce) return;
    try {
      this.release(ts);
    } catch (e) {
      // As a failed step: the kernel cannot go on consistently (the caller stops; a restart replays).
      this.failure = e as Error;
      this.o.log(`paper: push failed: ${this.failure.message}`);
    }
  }

  private release(ts: number): void {
    const k = this.kernel!;
    const probe = this.o.probe;
    const t0 = performance.now();
    const n = this.push.release(k.engine, ts);
    const ms = performance.now() - t0;
    // A long push held the loop: nobody was heard meanwhile (the step's timer may run before the
    // sockets are read again, and must not take every stream for quiet).
    if (ms > STALL_MS) {
      this.pushClock.unheard(ms);
      this.lastFrameWall += ms;
    }
    if (n > 0) probe?.onReleased?.(n, ms, this.push.mix);
    probe?.onPushed?.(ts, k.engine.produced);
  }

  /**
   * One step. Catching up: what was handed to the recorder is committed, the kernel gets the
   * stored rows before the store's watermark, and hands over to memory. After: the wall clock
   * moves a quiet kernel, the recorder commits, then the journal commits what the kernel had
   * made when the recorder took its rows (so the journal never holds output of rows the store
   * lacks: a resume replays the store and makes it again).
   */
  private async step(final = false): Promise<void> {
    if (!this.handedOver) return this.catchUp(final);
    const k = this.kernel!;
    // Every stream looks quiet: first let the event loop read the sockets once. After a stall of
    // this process (a long flush, a collection) the step's timer runs before the frames that
    // waited behind it are read; heard now, they count the stall as nobody's silence (handlers())
    // instead of the wall clock taking over and passing rows that did arrive.
    if (!final && this.pushClock.quiet(Date.now())) await new Promise<void>((r) => setImmediate(r));
    const w = this.pushClock.advance(Date.now());
    if (Number.isFinite(w.ts)) {
      this.release(w.ts);
      // Exchange time from the streams; the wall clock's when all are quiet (watermark.ts).
      if (w.fromWall && !final) {
        k.engine.advanceTo(w.ts);
        this.alerts?.advanceTo(w.ts);
      }
    }
    const batch = this.journalBatch(this.push.position);
    // What memory released, taken with the journal's batch: the flush below stores all of it.
    const span = joinSpans(this.shadowPending, this.push.takeShadow());
    this.shadowPending = undefined;
    try {
      await this.recorder.flush();
    } catch {
      // Not committed (the recorder said why): the journal waits for the rows its output came from.
      this.shadowPending = span;
      return;
    }
    await this.checkShadow(span);
    await this.commit(batch);
  }

  /**
   * The shadow check (shadow-check.ts): the stored rows of the span memory released, against what
   * it pushed. A mismatch means the kernel did not see what a replay of the store gives: the
   * session stops before journaling anything more (the caller stops on `failed`), and a restart
   * replays the store, the truth, through a fresh kernel (docs/PAPER.md, "The push path").
   */
  private async checkShadow(span: ShadowSpan): Promise<void> {
    if (!(span.to > span.from)) return;
    const r = await shadowCheck(this.reader, this.shadowMarket, span);
    this.shadowState.checked++;
    if (r.ok) return;
    // Rows that came late for a span already taken may or may not be in its flush: more stored
    // rows than pushed, by no more than those, cannot be told from them (counted, not a failure).
    const extra = r.stored.n - span.n;
    if (extra > 0 && extra <= this.push.lateSinceTake) {
      this.shadowState.inconclusive++;
      return;
    }
    const what = mismatchMessage(span, r.stored, this.recorder.stats().dropped);
    this.shadowState.mismatch = what;
    throw new Error(`${what}; stopping: a restart replays the store through a fresh kernel`);
  }

  /** The store path, until the handover: what was handed to the recorder is committed, the kernel gets the stored rows before the new watermark. */
  private async catchUp(final: boolean): Promise<void> {
    const snap = this.handed;
    this.handed = new Map();
    try {
      await this.recorder.flush();
    } catch {
      // Not committed (the recorder said why): the rows stay with it, and count at the next step.
      for (const [k, h] of snap) {
        const now = this.handed.get(k);
        this.handed.set(k, now ? { maxTs: Math.max(h.maxTs, now.maxTs), lastWall: Math.max(h.lastWall, now.lastWall) } : h);
      }
      return;
    }
    for (const [k, h] of snap) this.watermark.committed(k, h.maxTs, h.lastWall);
    const wall = Date.now();
    if (!final && wall < this.settleUntil) return;
    const w = this.watermark.advance(wall);
    if (!Number.isFinite(w.ts)) return;
    if (!this.kernel) await this.begin(w.ts);
    const k = this.kernel!;
    await this.feed!.pushUntil(k.engine, w.ts);
    this.o.probe?.onPushed?.(w.ts, k.engine.produced);
    if (w.fromWall && !final) {
      k.engine.advanceTo(w.ts);
      this.alerts?.advanceTo(w.ts);
    }
    // What the kernel made from stored rows only: the journal may have it.
    const batch = this.journalBatch(w.ts);
    if (w.ts > this.storedBefore) {
      // The handover: the store gave every row stamped before w.ts, memory has every row from
      // it on (this process received them; what others stored is all before it). Rows held
      // stamped before it were read from the store (or came after its watermark had passed
      // them: counted late above). Rows received meanwhile go now; the next step journals them.
      this.push.handOver(w.ts);
      this.pushClock.raise(w.ts);
      this.handedOver = true;
      this.handed.clear();
      this.handover = { ts: w.ts, held: this.push.held };
      this.o.log(`paper: caught up from the store to ${iso(w.ts)}; from there the kernel takes the feeds' events from memory (${this.handover.held} held meanwhile)`);
      if (!final) this.pushNow(Date.now());
    } else this.push.dropBefore(w.ts);
    await this.commit(batch);
  }

  /** What the journal commits, taken at once (the kernel goes on while the commit awaits the store). */
  private journalBatch(processedTs: number): JournalBatch {
    const k = this.kernel!;
    const p = k.engine.produced;
    // Outcomes change only while predictions are open (or when one was just made or closed).
    const changed = p.openPredictions > 0 || p.openPredictions !== this.seen.open || p.signals.length !== this.seen.signals;
    this.seen = { signals: p.signals.length, open: p.openPredictions };
    const predictions = changed && p.signals.length > 0 ? k.engine.predictions() : undefined;
    const progress: EngineProgress = {
      ...p,
      signals: p.signals.slice(),
      orders: p.orders.slice(),
      trades: p.trades.slice(),
      equity: p.equity.slice(),
      position: p.position ? { ...p.position } : undefined,
    };
    return { progress, predictions, funding: k.funding.slice(), state: { processedTs, kernelTs: p.now, lateEvents: this.lateEvents } };
  }

  private async commit(b: JournalBatch): Promise<void> {
    const k = this.kernel!;
    const p = b.progress;
    if (b.predictions) this.countToday(b.predictions, p.now);
    // Alerted before the commit: a crash between the two re-sends (never loses) this step's alerts.
    this.engineAlerts?.update(p.signals, b.predictions);
    await this.journal.commit(p, b.predictions, k.context, b.funding, b.state);
    // The downtime is over for the kernel once the watermark has passed the first event every
    // stream delivered after the restart (back-filled trades come first on theirs).
    if (this.gapOpen && b.state.processedTs >= Math.max(...this.firstTs.values())) await this.settled(b.state.processedTs, p);
  }

  /** The kernel and the feed, from the session's start (a new session starts at the first watermark). */
  private async begin(firstW: number): Promise<void> {
    const prev = this.resumedFrom;
    const c = this.config;
    const startTs = prev ? prev.start_ts : firstW;
    const warmup = effectiveWarmup(c).ms;
    const kernel = paperKernel(c, { pairs: this.pairs, instrument: this.instrument }, startTs, (ts) => this.latency.produced(ts, performance.now()), this.strategy.make);
    const m = kernel.market;
    const needBook = c.execution.useBook || c.entry.vetoOnBaitOnly;
    const bookFromMs = needBook ? await bookReadFrom(this.reader, m.execVenue, m.execSymbol, startTs) : startTs;
    this.feed = new StoredFeed(this.reader, { venues: m.venues, symbols: [...new Set(this.pairs.map((p) => p[1]))], execVenue: m.execVenue, execSymbol: m.execSymbol, needBook, bookFromMs }, startTs - warmup);
    this.kernel = kernel;
    if (!prev) {
      await this.journal.create(
        { name: this.o.name, symbol: this.o.symbol.toUpperCase(), venues: m.venues.join(','), pairs: JSON.stringify(this.pairs), exec_venue: m.execVenue, exec_symbol: m.execSymbol, instrument: toJson(this.instrument), config: JSON.stringify(c), seed: c.seed, start_ts: startTs, warmup_ms: warmup },
        c.risk.initialEquity,
        this.strategy.record,
      );
      this.o.log(`paper: session ${this.o.name} active from exchange time ${iso(startTs)} (warm-up from ${iso(startTs - warmup)} on the stored events)`);
    }
  }

  /** After a restart: the first commit past the downtime says what was settled in it. */
  private async settled(toTs: number, p: EngineProgress): Promise<void> {
    const prev = this.resumedFrom!;
    this.gapOpen = false;
    const from = prev.kernel_ts;
    const fills = p.orders.filter((x) => x.status === 'filled' && x.fillTs !== null && x.fillTs > from && x.fillTs <= toTs && x.reason !== 'entry');
    const liq = p.trades.filter((t) => t.liquidated && t.exitTs > from && t.exitTs <= toTs);
    const words = [
      ...fills.map((x) => `the ${x.reason} order ${x.id} (${x.side} ${x.qty}) filled at ${x.fillPrice} at ${iso(x.fillTs!)}`),
      ...liq.map((t) => `the ${t.side} position (trade ${t.id}) was liquidated at ${t.exitPrice} at ${iso(t.exitTs)}`),
    ];
    const detail = words.length > 0 ? `settled on resume from the back-filled trades: ${words.join('; ')}` : 'no stop, target or liquidation price was crossed while down';
    await this.journal.closeGap(toTs, `downtime from ${iso(from)} to ${iso(toTs)}: ${detail}`);
    this.o.log(`paper: downtime ${iso(from)} to ${iso(toTs)}: ${detail}`);
    const pos = p.position;
    this.o.log(`paper: resumed: ${pos ? `${pos.side} ${pos.qty} @ ${pos.entry} (stop ${pos.stop}, liquidation ${pos.liquidationPrice})` : 'flat'}${p.busy && !pos ? ', an order on its way' : ''}, ${p.openPredictions} predictions open, ${p.signals.length} signals so far`);
  }

  private get lateEvents(): number {
    return this.late + this.push.late;
  }

  private countToday(predictions: ReturnType<PaperKernel['engine']['predictions']>, now: number): void {
    const day = Math.floor(now / 86_400_000);
    let n = 0;
    let hits = 0;
    for (const x of predictions) {
      const o = x.outcomes[0];
      if (!o || !o.resolved || Math.floor((x.ts + o.horizonMs) / 86_400_000) !== day) continue;
      n++;
      if (o.hit) hits++;
    }
    this.today = { day, n, hits };
  }

  status(): PaperStatus {
    const k = this.kernel;
    const ms = this.journal.commitMs;
    return {
      session: this.o.name,
      started: k !== undefined,
      kernelTs: k ? k.engine.produced.now : NaN,
      progress: k?.engine.produced,
      streams: this.recorder.stats().status,
      health: this.health,
      today: { n: this.today.n, hits: this.today.hits },
      lateEvents: this.lateEvents,
      lastCommitMs: ms.length > 0 ? ms[ms.length - 1] : NaN,
      alerts: this.alerts?.statusText(),
      fed: { stored: this.feed?.events ?? 0, memory: this.push.events, handoverTs: this.handover.ts, heldAtHandover: this.handover.held },
      shadow: { ...this.shadowState },
    };
  }

  /** Commit durations so far, ms. */
  commitTimes(): readonly number[] {
    return this.journal.commitMs;
  }

  /**
   * A clean stop: the feeds close, what they delivered is committed and pushed (the streams'
   * watermark, not the wall clock's), the session is marked stopped. The kernel is not finished:
   * its position and pending predictions carry over to the next start.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.stepping;
    await Promise.all(this.clients.map((c) => c.stop().catch(() => {})));
    try {
      if (!this.failure) await this.step(true);
      await this.journal.stop();
    } finally {
      // The channels get a few seconds to deliver what is queued (a hanging one is cut off).
      await this.alerts?.close();
      await this.recorder.close();
      await this.reads.close();
      this.journal.close();
      this.reader.close();
    }
  }
}

/** Two consecutive shadow spans as one. */
function joinSpans(a: ShadowSpan | undefined, b: ShadowSpan): ShadowSpan {
  return a ? { from: a.from, to: b.to, n: a.n + b.n, h: (a.h + b.h) % HASH_P } : b;
}

/** `venue:type` stream keys, each built once (a template string per record was a string allocated, then hashed by every Map it met). */
const streamKeys = new Map<string, Map<string, string>>();
function streamKey(venue: string, type: string): string {
  let byType = streamKeys.get(venue);
  if (byType === undefined) streamKeys.set(venue, (byType = new Map()));
  let key = byType.get(type);
  if (key === undefined) byType.set(type, (key = `${venue}:${type}`));
  return key;
}

export const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));

/**
 * What a failed check says: the span, memory's and the store's counts and hashes, and, when the
 * store holds fewer rows while the recorder has dropped events it could not store in time (its
 * pending bound, docs/LIVE.md: store_backpressure gaps), that cause, the usual one.
 */
export function mismatchMessage(span: ShadowSpan, stored: { readonly n: number; readonly h: number }, recorderDropped: number): string {
  const why =
    recorderDropped > 0 && stored.n < span.n
      ? ` (the recorder has dropped ${recorderDropped} events the store could not keep up with: store_backpressure gaps; this machine cannot take the feeds' rate)`
      : '';
  return `the push path's shadow check failed for ${iso(span.from)} to ${iso(span.to)}: memory pushed ${span.n} rows (hash ${span.h}), the store holds ${stored.n} (hash ${stored.h})${why}`;
}
