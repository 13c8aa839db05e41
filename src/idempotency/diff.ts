/** RFC 6901 escaping of one reference token. */
function escapeToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * The JSON pointer of the first place where two JSON values differ, or null when equal.
 * Used to tell a client which field changed when it reuses an Idempotency-Key.
 */
export function firstDifference(a: unknown, b: unknown, pointer = ""): string | null {
  if (a === b) return null;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") {
    return pointer === "" ? "/" : pointer;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return pointer === "" ? "/" : pointer;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const d = firstDifference(a[i], b[i], `${pointer}/${i}`);
      if (d) return d;
    }
    return null;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
  for (const k of keys) {
    const d = firstDifference(ra[k], rb[k], `${pointer}/${escapeToken(k)}`);
    if (d) return d;
  }
  return null;
}
