/**
 * fast-check arbitraries for fuzzing message parsers: real frames with a few random edits
 * (a key deleted, a value replaced by random JSON or by a random string).
 */
import fc from 'fast-check';

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

function slots(v: unknown, out: Slot[]): Slot[] {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push({ parent: v, key: i });
      slots(x, out);
    });
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      out.push({ parent: v as Record<string, unknown>, key: k });
      slots(x, out);
    }
  }
  return out;
}

export interface Edit {
  readonly at: number;
  readonly kind: 'delete' | 'json' | 'string' | 'number';
  readonly json: unknown;
  readonly text: string;
  readonly num: number;
}

export const editArb: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('delete' as const, 'json' as const, 'string' as const, 'number' as const),
  json: fc.jsonValue({ maxDepth: 2 }),
  text: fc.oneof(fc.string(), fc.constantFrom('', '0', '-1', 'NaN', '1e400', 'Buy', 'sell', 'snapshot', 'update', 'delta')),
  num: fc.oneof(fc.double(), fc.integer()),
});

/** A deep copy of `frame` with `edits` applied in order. */
export function mutate(frame: unknown, edits: readonly Edit[]): unknown {
  const copy = structuredClone(frame);
  for (const e of edits) {
    const all = slots(copy, []);
    if (all.length === 0) break;
    const { parent, key } = all[e.at % all.length];
    if (e.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else {
      const value = e.kind === 'json' ? e.json : e.kind === 'string' ? e.text : e.num;
      (parent as Record<string | number, unknown>)[key] = value;
    }
  }
  return copy;
}

/** Arbitrary mutated copies of one of `frames`. */
export function mutatedFrames(frames: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.tuple(fc.constantFrom(...frames), fc.array(editArb, { minLength: 1, maxLength: 4 })).map(([f, edits]) => mutate(f, edits));
}
