/** A page of a cursor-paginated list, in either of the hub's spellings. */
export interface CursorPage<T> {
  items: T[];
  next_cursor?: string | null;
  nextCursor?: string | null;
}

/** Pages followed at most by one iterator: a hub that never ends a list cannot loop us forever. */
export const PAGES_MAX = 10_000;

/**
 * Every item of a cursor-paginated list, page after page (`next_cursor` or `nextCursor`).
 * Pages are fetched lazily: stop iterating and no further page is asked for.
 */
export async function* paginate<T>(
  page: (cursor: string | undefined) => Promise<CursorPage<T>>,
  pages_max = PAGES_MAX,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  for (let n = 0; n < pages_max; n++) {
    const p = await page(cursor);
    yield* p.items;
    const next = p.next_cursor ?? p.nextCursor ?? null;
    if (!next || next === cursor) return;
    cursor = next;
  }
  throw new RangeError(`the list did not end within ${pages_max} pages`);
}
