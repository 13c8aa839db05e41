import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RolesWorld, startRolesWorld } from "../../stress/support/roles.ts";
import { type Cell, runMatrix } from "../../stress/support/roles-matrix.ts";

const show = (c: Cell) =>
  `${c.route} as ${c.role}: expected ${c.expected}, got ${c.status} ${c.code}` +
  (c.leak ? ` (carried ${c.leak})` : "");

/** The authorization matrix: every route × every role, checked against stress/authz-table.ts. */
describe("authorization matrix", () => {
  let w: RolesWorld;
  let cells: Cell[] = [];
  let unclassified: string[] = [];
  beforeAll(async () => {
    w = await startRolesWorld();
    ({ cells, unclassified } = await runMatrix(w));
  }, 300_000);
  afterAll(() => w?.t.close());

  it("classifies every route of the OpenAPI document", () => {
    expect(unclassified).toEqual([]);
    expect(new Set(cells.map((c) => c.route)).size).toBeGreaterThan(120);
    expect(cells.length).toBe(new Set(cells.map((c) => c.route)).size * 9);
  });

  it("gives every role on every route exactly what the table says", () => {
    expect(cells.filter((c) => !c.ok).map(show)).toEqual([]);
  });

  it("lets nobody read or write another tenant's objects", () => {
    expect(cells.filter((c) => c.crossTenant).map(show)).toEqual([]);
  });
});
