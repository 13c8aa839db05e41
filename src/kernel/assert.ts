/** Thrown for programmer errors: a broken invariant, never a user mistake. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** Crashes loudly when something we believe is true is not (TigerStyle: assert what you believe). */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a switch as exhaustive: the compiler fails when a case is missing. */
export function unreachable(value: never, what = "value"): never {
  throw new AssertionError(`unexpected ${what}: ${String(value)}`);
}
