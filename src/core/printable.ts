/**
 * Text safe to write to a terminal. Symbols, file names and rows quoted in error messages come
 * from files anyone can write; an ESC or CSI in them would move the cursor, recolour or retitle
 * the user's terminal, and bidi overrides would reorder what is shown. Control and format
 * characters (Unicode Cc and Cf, but newline and tab) are shown as `\uXXXX` escapes instead.
 * Inside JSON text this keeps the value (such characters can only be in strings, where `\uXXXX`
 * means the same), so `--json` output goes through it too.
 */
const UNSAFE = /(?![\n\t])[\p{Cc}\p{Cf}]/gu;

export function printable(text: string): string {
  return text.replace(UNSAFE, escapeUnits);
}

/** Every UTF-16 unit of `c` as `\uXXXX` (a character past U+FFFF as its surrogate pair, as JSON spells it). */
function escapeUnits(c: string): string {
  let out = '';
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}
