/** fast-check arbitraries for the plugins' wire inputs: numbers that may be NaN, ±Infinity, negative or huge, in ragged columns. */
import fc from 'fast-check';

/** A number as a broken server might send it. */
export const anyNumber = fc.oneof(
  fc.double(),
  fc.integer({ min: -5, max: 50 }),
  fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e308),
);

/** A column of up to `max` numbers (lengths differ between columns: ragged). */
export const column = (max = 30) => fc.array(anyNumber, { maxLength: max });

/** Something that should be an array but may not be. */
export const maybeColumn = (max = 30) => fc.oneof(column(max), fc.constant(undefined as unknown as number[]), fc.constant(null as unknown as number[]));
