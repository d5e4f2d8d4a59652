export declare const STAMP_FILE: string;
/** True when `outDir` (default `<root>/dist`) holds the build of the sources as they are now. */
export declare function distIsFresh(root: string, outDir?: string): boolean;
