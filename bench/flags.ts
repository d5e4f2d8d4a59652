/** `--name N` among a bench's arguments as a number; `dflt` when the flag is absent. */
export function flag(args: readonly string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}
