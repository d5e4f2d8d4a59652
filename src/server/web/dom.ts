/** Tiny DOM helpers: the dashboard has no UI framework, only these. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

/** 1234567 -> "1.23M": notionals and sizes in panels. */
export function compact(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  if (a >= 1) return x.toFixed(a >= 100 ? 0 : 2);
  return x.toPrecision(3);
}

export function price(x: number): string {
  const a = Math.abs(x);
  return x.toFixed(a >= 1000 ? 1 : a >= 10 ? 2 : a >= 1 ? 4 : 6);
}
