/**
 * Live events from the bus instead of the venues: for commands that consume market data
 * (`serve`, `paper`) on a machine that runs no connectors. It hands each batch's events to the
 * same `LiveHandlers.onEvents` a venue connector calls, so a consumer cannot tell the two apart
 * (besides the receive time, which is the recorder's).
 *
 * One ordered consumer per venue and symbol (`md.<venue>.<symbol>.*`; a single filter subject works
 * on every JetStream server, several need 2.10): ephemeral, in stream order, re-created by the
 * client after a gap. It starts with the next batch published (`from: 'new'`), or at an exchange
 * time a consumer wants to warm up from.
 */
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import type { EventType, Venue } from '../core/events.ts';
import type { LiveHandlers } from '../venues/live/types.ts';
import { decodeBatch } from './batch-codec.ts';
import type { Bus } from './connection.ts';
import { DEFAULT_STREAM } from './stream.ts';
import { symbolToken } from './subjects.ts';

export interface BusFeedOptions {
  readonly symbols: ReadonlyMap<Venue, readonly string[]>;
  /** Event types to deliver; default all. */
  readonly types?: readonly EventType[];
  readonly handlers: LiveHandlers;
  readonly stream?: string;
  /** `new` (default): batches published from now on; a number: from this publish time, epoch ms. */
  readonly from?: 'new' | number;
  /** A batch that is not readable (it is skipped; the sinks dead-letter it). */
  readonly onBadBatch?: (subject: string, e: Error) => void;
}

export class BusFeed {
  private readonly running: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly o: BusFeedOptions,
  ) {}

  /** Creates the consumers; resolves once each is delivering. */
  async start(): Promise<void> {
    const js = jetstream(this.bus.nc);
    const types = new Set(this.o.types ?? ['trade', 'liquidation', 'book', 'ticker']);
    const from = this.o.from ?? 'new';
    for (const [venue, symbols] of this.o.symbols) {
      for (const symbol of symbols) {
        const c = await js.consumers.get(this.o.stream ?? DEFAULT_STREAM, {
          filter_subjects: `md.${venue}.${symbolToken(symbol)}.*`,
          ...(from === 'new' ? { deliver_policy: DeliverPolicy.New } : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(from).toISOString() }),
        });
        const msgs = await c.consume();
        this.running.push(msgs);
        this.loops.push(
          (async () => {
            for await (const m of msgs) {
              let batch;
              try {
                batch = decodeBatch(m.data);
              } catch (e) {
                this.o.onBadBatch?.(m.subject, e as Error);
                continue;
              }
              if (types.has(batch.type) && batch.events.length > 0) this.o.handlers.onEvents(batch.events, Date.now());
            }
          })(),
        );
      }
    }
  }

  async stop(): Promise<void> {
    for (const m of this.running) m.stop();
    await Promise.allSettled(this.loops);
  }
}
