/** Bundle `entry` (default `<srcDir>/cli/main.ts`, srcDir `<root>/src`) into `outDir` (default `<root>/dist`) and stamp it. */
export declare function build(opts?: { root?: string; srcDir?: string; entry?: string; outDir?: string }): Promise<{ inputs: number; ms: number }>;
/** The bundled instrument snapshot as parsed by src/venues/instruments.ts, as a JavaScript literal (NaN and Infinity kept). */
export declare function bundledInstrumentsLiteral(srcDir?: string): string;
/** `entry` bundled into the one file `outFile` as dist/ bundles the CLI (a benchmark's child runs our code as `orderflow` does). */
export declare function bundleScript(opts: { entry: string; outFile: string; srcDir?: string }): Promise<void>;
