/**
 * Many OKX symbols over several connections, within OKX's documented per-connection limits
 * (docs/live/okx.md, "Connections"):
 *   - "If subscribing to many 50 or 400 depth level channels, use multiple websocket connections
 *     each with less than 30 channels" [market]: at most OKX_CHANNELS_PER_CONNECTION (29)
 *     subscriptions on one connection, whatever their channel (the conservative reading);
 *   - "The total number of 'subscribe'/'unsubscribe'/'login' requests per connection is limited
 *     to 480 times per hour" [ws-connect]: few args per connection leave the budget to resyncs;
 *   - "Connection limit: 3 requests per second (based on IP)" [ws-connect]: every connection
 *     request of every shard, the first opens and the reconnects after a drop (a server restart
 *     drops them all at once), takes a slot of one ConnectPacer, OKX_CONNECT_SPACING_MS apart.
 * Each shard is an OkxLiveClient for a group of symbols; they share that pacer and one PacedRest
 * so OKX's connection and REST limits (per IP) hold across them. `liquidation-orders` is per instType, so each shard with a
 * swap subscribes it and keeps its own symbols only: nothing is delivered twice.
 */
import type { LiveChannel, LiveClient, StreamStatus } from '../live/types.ts';
import { LIVE_CHANNELS } from '../live/types.ts';
import type { Venue } from '../../core/events.ts';
import { ConnectPacer } from '../live/connect-pacer.ts';
import type { PacedRest } from '../live/rest.ts';
import { OkxLiveClient, okxPacedRest, type OkxLiveClientOptions } from './live.ts';

/** Subscriptions per connection: OKX asks for "less than 30 channels". */
export const OKX_CHANNELS_PER_CONNECTION = 29;
/** 3 connection requests per second per IP: one every 350 ms. */
export const OKX_CONNECT_SPACING_MS = 350;

export interface OkxShardedOptions extends OkxLiveClientOptions {
  /** Subscriptions per connection. Default OKX_CHANNELS_PER_CONNECTION. */
  readonly maxChannelsPerConnection?: number;
}

/** Subscriptions one symbol takes (trades, books, mark-price, funding-rate for swaps, open-interest). */
function channelsOf(channels: ReadonlySet<LiveChannel>, isFuture: boolean): number {
  return (channels.has('trades') ? 1 : 0) + (channels.has('book') ? 1 : 0) + (channels.has('ticker') ? (isFuture ? 2 : 3) : 0);
}

/**
 * Symbols in groups whose subscriptions (plus the shard's liquidation-orders, one per instType)
 * fit `max`, in the given order.
 */
export function okxShards(symbols: readonly string[], channels: ReadonlySet<LiveChannel>, isFuture: (symbol: string) => boolean, max: number): string[][] {
  const groups: string[][] = [];
  let group: string[] = [];
  let used = 0;
  let instTypes = new Set<boolean>();
  for (const sym of symbols) {
    const fut = isFuture(sym);
    const own = channelsOf(channels, fut);
    const liq = (types: Set<boolean>) => (channels.has('liquidations') && !types.has(fut) ? 1 : 0);
    if (group.length > 0 && used + own + liq(instTypes) > max) {
      groups.push(group);
      group = [];
      used = 0;
      instTypes = new Set();
    }
    const liqHere = liq(instTypes);
    if (own + liqHere > max) throw new Error(`okx: ${sym} needs ${own + liqHere} subscriptions, more than the ${max} per connection`);
    group.push(sym);
    used += own + liqHere;
    instTypes.add(fut);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/**
 * One OkxLiveClient per group of symbols (okxShards): one connection pacer (opens and reconnects
 * OKX_CONNECT_SPACING_MS apart across all shards), one REST budget.
 */
export class OkxShardedClient implements LiveClient {
  readonly venue: Venue = 'okx';
  private readonly shards: OkxLiveClient[];
  private readonly rest: PacedRest;
  private readonly ownsRest: boolean;
  private stopped = false;

  constructor(opts: OkxShardedOptions) {
    this.rest = opts.rest ?? okxPacedRest(opts);
    const connectPacer = opts.connectPacer ?? new ConnectPacer(OKX_CONNECT_SPACING_MS);
    const channels = new Set(opts.channels ?? LIVE_CHANNELS);
    const groups = okxShards(opts.symbols, channels, (s) => opts.instruments.get('okx', s)?.kind === 'future', opts.maxChannelsPerConnection ?? OKX_CHANNELS_PER_CONNECTION);
    this.shards = groups.map((symbols) => new OkxLiveClient({ ...opts, symbols, rest: this.rest, connectPacer }));
    this.ownsRest = opts.rest === undefined;
  }

  /** How many connections (shards) the symbols take. */
  get connections(): number {
    return this.shards.length;
  }

  /** Resolves once every shard's first connection is open (the pacer spaces them). */
  async start(): Promise<void> {
    await Promise.all(
      this.shards.map((s) =>
        s.start().catch((e: unknown) => {
          if (!this.stopped) throw e;
        }),
      ),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.shards.map((s) => s.stop()));
    if (this.ownsRest) this.rest.close();
  }

  status(): StreamStatus[] {
    return this.shards.flatMap((s) => s.status());
  }
}

/** The OKX live client for these symbols: one connection when they fit, else OkxShardedClient. */
export function createOkxLiveClient(opts: OkxShardedOptions): LiveClient {
  const channels = new Set(opts.channels ?? LIVE_CHANNELS);
  const groups = okxShards(opts.symbols, channels, (s) => opts.instruments.get('okx', s)?.kind === 'future', opts.maxChannelsPerConnection ?? OKX_CHANNELS_PER_CONNECTION);
  return groups.length <= 1 ? new OkxLiveClient(opts) : new OkxShardedClient(opts);
}
