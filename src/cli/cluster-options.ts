/**
 * The liquidation-cluster options shared by `liquidations`, `absorption` and `analyze` (zones
 * come from the same rule everywhere): declared once with their help text, parsed once into
 * LiquidationMapOptions with UsageErrors naming the option. The rule: docs/FEATURES.md
 * "Liquidation clusters and heatmap".
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { CLUSTER_DEFAULTS, type LiquidationMapOptions } from '../features/liquidations.ts';
import { parseTimeframe } from '../features/timeframe.ts';
import { numberOpt } from './options.ts';

export interface ClusterOpts {
  halfLife?: string;
  medianMultiple?: string;
  windowBins?: string;
  binMultiple?: string;
  clusterMultiple?: string;
  minIntensity?: string;
}

/** The cluster rule's settings, everything but the bins. */
export type ClusterSettings = Required<Pick<LiquidationMapOptions, 'halfLifeMs' | 'medianMultiple' | 'windowBins' | 'binMultiple' | 'clusterMultiple' | 'minIntensity'>>;

const FLAGS: readonly [keyof ClusterOpts, string][] = [
  ['halfLife', '--half-life'],
  ['medianMultiple', '--median-multiple'],
  ['windowBins', '--window-bins'],
  ['binMultiple', '--bin-multiple'],
  ['clusterMultiple', '--cluster-multiple'],
  ['minIntensity', '--min-intensity'],
];

/** Adds the cluster options to `cmd`; `what` prefixes each help line (e.g. 'clusters: '). */
export function clusterOptions(cmd: Command, what = ''): Command {
  const d = CLUSTER_DEFAULTS;
  return cmd
    .option('--half-life <dur>', `${what}half-life of the liquidation intensity decay: 30m, 4h, 1d... (default 4h)`)
    .option('--median-multiple <x>', `${what}a bin is hot at >= x times its background (the busier median of the bins below and above it, empty bins as zero) ... (default ${d.medianMultiple})`)
    .option('--bin-multiple <x>', `${what}... plus x typical liquidations (the decayed mean liquidation notional) (default ${d.binMultiple})`)
    .option('--window-bins <n>', `${what}bins each side in the background's windows (default ${d.windowBins})`)
    .option('--cluster-multiple <x>', `${what}hot bins (one-bin gaps bridged) are a cluster at >= x typical liquidations in all (default ${d.clusterMultiple})`)
    .option('--min-intensity <q>', `${what}... and a hot bin needs >= this intensity, quote notional (default ${d.minIntensity})`);
}

/** The flags of `opts` that were given, for commands that refuse them in some mode. */
export function givenClusterFlags(opts: ClusterOpts): string[] {
  return FLAGS.filter(([k]) => opts[k] !== undefined).map(([, flag]) => flag);
}

/** The settings the options ask for, defaults filled in. */
export function parseClusterOpts(opts: ClusterOpts): ClusterSettings {
  const d = CLUSTER_DEFAULTS;
  const atLeast0 = (text: string | undefined, flag: string, want: string, dflt: number) => {
    if (text === undefined) return dflt;
    const v = numberOpt(text, flag, want);
    if (!(v >= 0)) throw new UsageError(`${flag}: expected ${want}, got ${JSON.stringify(text)}`);
    return v;
  };
  const windowBins = atLeast0(opts.windowBins, '--window-bins', 'a whole number of bins in 0..10000', d.windowBins);
  if (!(Number.isInteger(windowBins) && windowBins <= 10_000)) throw new UsageError(`--window-bins: expected a whole number of bins in 0..10000, got ${JSON.stringify(opts.windowBins)}`);
  return {
    halfLifeMs: opts.halfLife === undefined ? d.halfLifeMs : parseTimeframe(opts.halfLife, '--half-life'),
    medianMultiple: atLeast0(opts.medianMultiple, '--median-multiple', 'a number >= 0', d.medianMultiple),
    windowBins,
    binMultiple: atLeast0(opts.binMultiple, '--bin-multiple', 'a number >= 0', d.binMultiple),
    clusterMultiple: atLeast0(opts.clusterMultiple, '--cluster-multiple', 'a number >= 0', d.clusterMultiple),
    minIntensity: atLeast0(opts.minIntensity, '--min-intensity', 'a quote notional >= 0', d.minIntensity),
  };
}
