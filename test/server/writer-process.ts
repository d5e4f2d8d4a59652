/**
 * A recorder in a process of its own, as `orderflow record` runs beside `orderflow serve`: it
 * holds the store read-write, publishes its read endpoint, and on each stdin line
 * `<fromMs> <toMs>` records the fixture's events of that span, and `paper <equity>` writes a paper
 * session's journal row with that equity (creating the journal on first use), then prints `ok`.
 *
 *   node --import tsx test/server/writer-process.ts <home>
 */
import { createInterface } from 'node:readline';
import { ReadEndpoint } from '../../src/store/read-endpoint.ts';
import { PAPER_SCHEMA } from '../../src/paper/journal-schema.ts';
import { Store } from '../../src/store/store.ts';
import { fixtureEvents, record } from './fixture.ts';

const store = await Store.open(process.argv[2]);
const reads = await ReadEndpoint.start(store);
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  const words = line.trim().split(' ');
  if (words[0] === 'paper') await paperRow(Number(words[1]));
  else await record(store, fixtureEvents({ fromMs: Number(words[0]), toMs: Number(words[1]) }));
  console.log('ok');
}
await reads.close();
store.close();

/** The session row as a paper session commits it: flat, at `equity`. */
async function paperRow(equity: number): Promise<void> {
  await store.run(PAPER_SCHEMA);
  await store.run(
    `INSERT OR REPLACE INTO paper_sessions VALUES ('live', 'BTC', 'binance', '[]', 'binance', 'BTCUSDT', '{}', '{}', 1, 0, 0, 0, 0, 'running', 1, 'h',
      now()::TIMESTAMP, now()::TIMESTAMP, NULL, 0, 0, $1, NULL)`,
    [equity],
  );
}
