import { sql } from "kysely";
import { expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { AssertionError } from "../kernel/assert.ts";
import { compiledQuery } from "./compiled.ts";

interface Row {
  id: string;
  n: bigint;
  note: string | null;
}

const insertRows = compiledQuery((db, rows: Row[]) =>
  db
    .insertInto("t_compiled")
    .values(rows)
    .onConflict((oc) => oc.column("id").doNothing()),
);
const addTo = compiledQuery((db, a: { id: string; by: bigint; max: bigint }) =>
  db
    .updateTable("t_compiled")
    .set({ n: sql`n + ${a.by}` })
    .where("id", "=", a.id)
    .where("n", "<=", a.max),
);
const byIds = compiledQuery((db, ids: string[]) =>
  db.selectFrom("t_compiled").selectAll().where("id", "in", ids).orderBy("id"),
);

describeStores("compiledQuery", (store) => {
  it("runs one shape again with new values, inside and outside transactions", async () => {
    const { db } = store;
    await sql`create table t_compiled (id text primary key, n bigint not null, note text)`.execute(
      db.kysely,
    );
    await insertRows(db.kysely, [{ id: "a", n: 1n, note: null }]);
    await db.transaction((tx) => insertRows(tx, [{ id: "b", n: 2n, note: "x" }]));
    const r = await insertRows(db.kysely, [
      { id: "c", n: 3n, note: null },
      { id: "a", n: 9n, note: null },
    ]);
    expect(r.numAffectedRows).toBe(1n);
    const rows = (await byIds(db.kysely, ["a", "b", "c"])).rows as Row[];
    expect(rows.map((x) => [x.id, BigInt(x.n), x.note])).toEqual([
      ["a", 1n, null],
      ["b", 2n, "x"],
      ["c", 3n, null],
    ]);
    expect((await byIds(db.kysely, ["b"])).rows).toHaveLength(1);
  });

  it("keeps a guard's parameters apart per call", async () => {
    const { db } = store;
    expect((await addTo(db.kysely, { id: "a", by: 5n, max: 0n })).numAffectedRows).toBe(0n);
    expect((await addTo(db.kysely, { id: "a", by: 5n, max: 1n })).numAffectedRows).toBe(1n);
    const [a] = (await byIds(db.kysely, ["a"])).rows as Row[];
    expect(BigInt(a?.n ?? -1n)).toBe(6n);
  });

  it("refuses a builder that computes with its arguments", async () => {
    const wrong = compiledQuery((db, a: { note: string }) =>
      db
        .updateTable("t_compiled")
        .set({ note: `${a.note}!` })
        .where("id", "=", "a"),
    );
    await expect(wrong(store.db.kysely, { note: "hi" })).rejects.toBeInstanceOf(AssertionError);
  });

  it("refuses a builder that branches on its arguments", async () => {
    const wrong = compiledQuery((db, a: { id: string | null }) =>
      db
        .selectFrom("t_compiled")
        .selectAll()
        .where("id", a.id === null ? "is" : "=", a.id),
    );
    await expect(wrong(store.db.kysely, { id: null })).rejects.toBeInstanceOf(AssertionError);
  });
});
