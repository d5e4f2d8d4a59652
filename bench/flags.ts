/** `--name N` among a bench's arguments as a number; `dflt` when the flag is absent. */
export function flag(args: readonly string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

/** The flags whose value is a list (`--features a,b`), not a number: bench/run.ts must not take it for a bench's name. */
export const LIST_FLAGS: readonly string[] = ['--features'];

/** `--name a,b` among a bench's arguments as its items; undefined when the flag is absent. */
export function listFlag(args: readonly string[], name: string): string[] | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? '').split(',').filter(Boolean) : undefined;
}
