/** Bundle `entry` (default `<srcDir>/cli/main.ts`, srcDir `<root>/src`) into `outDir` (default `<root>/dist`) and stamp it. */
export declare function build(opts?: { root?: string; srcDir?: string; entry?: string; outDir?: string }): Promise<{ inputs: number; ms: number }>;
/** The bundled instrument snapshot as parsed by src/venues/instruments.ts, as a JavaScript literal (NaN and Infinity kept). */
export declare function bundledInstrumentsLiteral(srcDir?: string): string;
