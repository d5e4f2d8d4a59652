/**
 * Calling the consumer (LiveHandlers) the same way from every connector: events and gaps are
 * counted on their stream, and a handler that throws costs that call only: it becomes the
 * stream's `[E_HANDLER]` error, never a dead feed (a recorder runs for weeks).
 */
import { errorText, LiveError } from './errors.ts';
import type { StreamStat } from './status.ts';
import type { LiveGap, LiveHandlers } from './types.ts';
import type { CaptureRecord } from '../../core/events.ts';

/** Run one handler call; a throw is said on `stat` (a function: made only when needed). */
export function callHandler(stat: StreamStat | (() => StreamStat), name: string, call: () => void): void {
  try {
    call();
  } catch (e) {
    const s = typeof stat === 'function' ? stat() : stat;
    s.error(errorText(new LiveError('E_HANDLER', s.stream, `${name} threw: ${e instanceof Error ? e.message : String(e)}`)));
  }
}

/** Normalized events of one stream to `onEvents` (nothing for none). */
export function deliverEvents(handlers: LiveHandlers, stat: StreamStat, records: readonly CaptureRecord[], localMs: number): void {
  if (records.length === 0) return;
  stat.events += records.length;
  callHandler(stat, 'onEvents', () => handlers.onEvents(records, localMs));
}

/** A gap of one stream to `onGap`. */
export function deliverGap(handlers: LiveHandlers, stat: StreamStat, gap: LiveGap): void {
  stat.gaps++;
  callHandler(stat, 'onGap', () => handlers.onGap?.(gap));
}
