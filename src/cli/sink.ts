/**
 * `orderflow sink`: a durable consumer of the bus writing batches into the store or the Parquet
 * lake, acking each only once it is durable.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { connectBus } from '../bus/connection.ts';
import { LakeWriter } from '../bus/lake-writer.ts';
import { BusSink, DEFAULT_ACK_WAIT_S, DEFAULT_SINK_FLUSH_MS, DEFAULT_SINK_MAX_MESSAGES, type BatchWriter, type SinkStats } from '../bus/sink.ts';
import { StoreWriter } from '../bus/store-writer.ts';
import { DEFAULT_STREAM } from '../bus/stream.ts';
import { deadLetterDir } from '../store/dead-letter.ts';
import { ReadEndpoint } from '../store/read-endpoint.ts';
import { Store } from '../store/store.ts';
import { homeOption, resolveHomeOpt, type HomeOpts } from './common.ts';
import { formatCount } from './format.ts';
import { untilStopped } from './live-common.ts';
import { numberOpt, secondsOpt } from './options.ts';
import { join, resolve } from 'node:path';

interface SinkOpts extends HomeOpts {
  bus: string;
  durable: string;
  to: string;
  stream: string;
  ackWait: string;
  maxMessages: string;
  flushMs: string;
  seconds?: string;
  quiet?: boolean;
}

export function registerSink(program: Command): void {
  homeOption(
    program
      .command('sink')
      .description('write market data from the bus (NATS JetStream) into the store or a Parquet lake, exactly once, as a durable consumer several sinks can share')
      .requiredOption('--bus <url>', 'NATS server(s), nats://HOST:PORT (comma-separated for a cluster)')
      .requiredOption('--durable <name>', 'durable consumer name: sinks with the same name share the work, each batch goes to one of them')
      .requiredOption('--to <target>', 'store (the --home store) or parquet:DIR (the lake that --lake reads, DIR/<table>/venue=/symbol=/date=/hour=/)')
      .option('--stream <name>', 'JetStream stream', DEFAULT_STREAM)
      .option('--ack-wait <s>', 'seconds before an unacked batch is redelivered (set when the durable is created)', String(DEFAULT_ACK_WAIT_S))
      .option('--max-messages <n>', 'batches written per group at most', String(DEFAULT_SINK_MAX_MESSAGES))
      .option('--flush-ms <ms>', 'a group is written at least this often while batches flow', String(DEFAULT_SINK_FLUSH_MS))
      .option('--seconds <n>', 'stop after this long (default: until Ctrl-C / SIGTERM)')
      .option('--quiet', 'no status lines'),
  )
    .addHelpText(
      'after',
      `
Pulls batches of the subjects md.<venue>.<symbol>.<type> that \`orderflow record --bus\` publishes,
in groups: each group is written durably (one store transaction, or Parquet files of the lake
that analyze|backtest|cvd --lake read, written as .parquet.tmp, fsync'd and renamed into place)
and only then acked. At start a lake sink removes the .parquet.tmp files a killed sink of this
host left (never a running sink's; docs/SCALING.md). A crash before the ack makes JetStream redeliver the
group after --ack-wait; batches already written are recognised by their Nats-Msg-Id (the store's
bus_batches table, the lake's batch_id column) and skipped, so nothing is written twice.
Several sinks with the same --durable share the batches. --ack-wait must be at least twice
--flush-ms (a sink refuses less: batches would be redelivered while their group waits); it is
set when the durable is created, so a changed --ack-wait needs a new --durable. A message that is not a readable batch is dead-lettered (one JSON line with the
error and its bytes, in <home>/dead-letter/bus-<date>.jsonl or DIR/_dead-letter/) and never
redelivered; the sink goes on. The stream must exist (a recorder creates it).

Ctrl-C or SIGTERM: the group in hand is written and acked, then the sink exits.
docs/SCALING.md describes the subjects, the stream, the batch format and the lake.

Examples:
  $ orderflow sink --bus nats://10.0.0.5:4222 --durable lake --to parquet:/data/lake
  $ orderflow sink --bus nats://10.0.0.5:4222 --durable store --to store --home ./orderflow-data`,
    )
    .action(async (opts: SinkOpts) => {
      const seconds = secondsOpt(opts.seconds, '--seconds');
      const ackWaitS = numberOpt(opts.ackWait, '--ack-wait', 'seconds, at least 1');
      if (!(ackWaitS >= 1)) throw new UsageError(`--ack-wait: expected seconds, at least 1, got ${JSON.stringify(opts.ackWait)}`);
      const maxMessages = numberOpt(opts.maxMessages, '--max-messages', 'a count from 1 to 100000');
      if (!(Number.isInteger(maxMessages) && maxMessages >= 1 && maxMessages <= 100_000)) throw new UsageError(`--max-messages: expected a count from 1 to 100000, got ${JSON.stringify(opts.maxMessages)}`);
      const flushMs = numberOpt(opts.flushMs, '--flush-ms', 'ms, at least 10');
      if (!(flushMs >= 10)) throw new UsageError(`--flush-ms: expected ms, at least 10, got ${JSON.stringify(opts.flushMs)}`);
      const lakeDir = opts.to.startsWith('parquet:') ? resolve(opts.to.slice('parquet:'.length)) : undefined;
      if (opts.to !== 'store' && !lakeDir) throw new UsageError(`--to: expected store or parquet:DIR, got ${JSON.stringify(opts.to)}`);
      if (lakeDir === '') throw new UsageError('--to: parquet: needs a folder, e.g. parquet:./lake');
      const log = (line: string) => !opts.quiet && console.error(line);

      const bus = await connectBus(opts.bus, `orderflow sink ${opts.durable}`);
      let store: Store | undefined;
      let reads: ReadEndpoint | undefined;
      let writer: BatchWriter;
      let deadLetters: string;
      try {
        if (lakeDir) {
          const lake = await LakeWriter.open(lakeDir);
          const o = lake.orphans;
          if (o.removed.length > 0) log(`sink: removed ${o.removed.length} .parquet.tmp files a killed sink left in ${lakeDir}`);
          if (o.left.length > 0) log(`sink: ${o.left.length} .parquet.tmp files left in ${lakeDir} (a running sink's, another host's, or of no sink: ${o.left.slice(0, 3).join(', ')}${o.left.length > 3 ? ', ...' : ''})`);
          writer = lake;
          deadLetters = join(lakeDir, '_dead-letter');
        } else {
          store = await Store.open(resolveHomeOpt(opts));
          const sw = await StoreWriter.open(store, `sink ${opts.durable} ${opts.bus}`);
          reads = await ReadEndpoint.start(store, { liveImports: () => [sw.importId] });
          writer = sw;
          deadLetters = deadLetterDir(store.home);
        }
      } catch (e) {
        store?.close();
        await bus.nc.close();
        throw e;
      }
      const describe = (s: SinkStats) =>
        `${formatCount(s.events)} events in ${formatCount(s.batchesWritten)} batches written, ${formatCount(s.batchesSkipped)} redelivered batches already written, ${s.deadLettered} dead-lettered`;
      let sink: BusSink;
      try {
        sink = await BusSink.open(bus, writer, { durable: opts.durable, stream: opts.stream, ackWaitS, maxMessages, flushMs, deadLetterDir: deadLetters, onError: (e) => log(`sink: cannot pull from ${opts.bus} (retrying): ${e.message}`) });
      } catch (e) {
        await writer.close().catch(() => {});
        await reads?.close();
        store?.close();
        await bus.nc.close();
        throw e;
      }
      // The status line, and reconnects said as they happen: a sink waiting on a dead bus says so.
      void (async () => {
        for await (const st of bus.nc.status()) {
          if (st.type === 'disconnect' || st.type === 'reconnect') log(`sink: bus ${st.type === 'disconnect' ? 'disconnected (reconnecting)' : 'reconnected'}: ${opts.bus}`);
        }
      })();
      const status = setInterval(() => log(`sink: ${describe(sink.stats())}, last group ${sink.stats().lastWriteMs.toFixed(0)} ms`), 10_000);
      const stop = untilStopped(seconds);
      void stop.done.then((why) => {
        log(`sink: stopping (${why}): writing the group in hand`);
        sink.stop();
      });
      log(`sink ${opts.durable}: ${opts.bus} stream ${opts.stream} -> ${writer.target} (Ctrl-C to stop)`);
      try {
        await sink.run();
      } finally {
        stop.dispose();
        clearInterval(status);
        await writer.close();
        await reads?.close();
        store?.close();
        await bus.nc.drain().catch(() => {});
      }
      console.log(`sink ${opts.durable}: ${describe(sink.stats())}`);
    });
}
