/**
 * Time on the wire is epoch milliseconds; lightweight-charts' horizontal scale counts UTC
 * seconds. Every conversion goes through here so a bar never lands one factor of 1000 off.
 */
import type { UTCTimestamp } from 'lightweight-charts';
import type { DashboardTimeframe } from '../api.ts';

export const TF_MS: Readonly<Record<DashboardTimeframe, number>> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

export function toChartTime(ms: number): UTCTimestamp {
  return Math.floor(ms / 1000) as UTCTimestamp;
}

export function fromChartTime(sec: number): number {
  return sec * 1000;
}

/** The open of the `tfMs` bar holding `ms` (bars are aligned on the epoch, as the server's). */
export function barOpen(ms: number, tfMs: number): number {
  return Math.floor(ms / tfMs) * tfMs;
}

/** `HH:MM:SS` UTC, for the tape. */
export function clockUtc(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
