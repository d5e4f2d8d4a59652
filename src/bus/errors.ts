/**
 * The bus layer's one error type: the bus could not be reached or set up, or a message on it is
 * not a batch we can read. Batch errors name the field (`trade.price[3]`) and the message.
 */
export type BusErrorCode =
  | 'E_BUS_URL' // not a nats:// URL
  | 'E_BUS_CONNECT' // the server cannot be reached
  | 'E_BUS_JETSTREAM' // the server answers but has no JetStream
  | 'E_BUS_STREAM' // the stream is missing (and may not be created) or refuses our settings
  | 'E_BATCH_MAGIC' // not an orderflow batch
  | 'E_BATCH_VERSION' // a batch format version this code does not read
  | 'E_BATCH_TRUNCATED' // shorter than its own counts say
  | 'E_BATCH_FIELD' // a field holds a value out of its domain
  | 'E_BATCH_SUBJECT'; // the batch's venue, symbol or type disagree with its subject

export class BusError extends Error {
  override readonly name = 'BusError';
  constructor(
    readonly code: BusErrorCode,
    detail: string,
    /** The batch field at fault (`trade.price[3]`), for batch errors. */
    readonly field?: string,
  ) {
    super(field === undefined ? detail : `${detail} (field ${field})`);
  }
}
