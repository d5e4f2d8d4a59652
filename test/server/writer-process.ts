/**
 * A recorder in a process of its own, as `orderflow record` runs beside `orderflow serve`: it
 * holds the store read-write, publishes its read endpoint, and on each stdin line
 * `<fromMs> <toMs>` records the fixture's events of that span, then prints `ok`.
 *
 *   node --import tsx test/server/writer-process.ts <home>
 */
import { createInterface } from 'node:readline';
import { ReadEndpoint } from '../../src/store/read-endpoint.ts';
import { Store } from '../../src/store/store.ts';
import { fixtureEvents, record } from './fixture.ts';

const store = await Store.open(process.argv[2]);
const reads = await ReadEndpoint.start(store);
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  const [fromMs, toMs] = line.trim().split(' ').map(Number);
  await record(store, fixtureEvents({ fromMs, toMs }));
  console.log('ok');
}
await reads.close();
store.close();
