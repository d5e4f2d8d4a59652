/**
 * Secrets out of every text a channel produces: an error from fetch/undici may carry the request
 * URL (Telegram's holds the bot token: "Failed to parse URL from https://.../bot<token>/...").
 * Every error, status and log line of a channel goes through `redact` before it leaves.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  // Longest first, so a secret containing another is replaced whole.
  const list = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const s of list) out = out.split(s).join('<redacted>');
    // Percent-encoded too: a URL in an error may be normalized.
    for (const s of list) {
      const enc = encodeURIComponent(s);
      if (enc !== s) out = out.split(enc).join('<redacted>');
    }
    return out;
  };
}

/** An error's message with its causes ("fetch failed: connect ECONNREFUSED 127.0.0.1:9"), not yet redacted. */
export function errorChain(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 4; depth++) {
    if (cur instanceof Error) {
      parts.push(cur.message);
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join(': ');
}
