/**
 * `npm run stress:authz`: every operation of /openapi.json × every role (anonymous, agents of
 * machines A and B, human buyer and seller, provider, operator, revoked key, expired pairing
 * token), checked against the table in stress/authz-table.ts. Prints one line per route (the
 * status each role got; `!` marks a mismatch), then the counts. Exits 1 on any mismatch,
 * cross-tenant read or write, or unclassified route.
 */

import { ROLES, startRolesWorld } from "./support/roles.ts";
import { runMatrix, summarize } from "./support/roles-matrix.ts";

const w = await startRolesWorld();
const { cells, unclassified } = await runMatrix(w);
await w.t.close();

const short: Record<string, string> = {
  anonymous: "anon",
  agentA: "agA",
  agentB: "agB",
  buyer: "buyer",
  seller: "sellr",
  provider: "prov",
  operator: "oper",
  revoked: "revkd",
  expired: "expd",
};
console.log(`${"route".padEnd(66)} ${ROLES.map((r) => (short[r] ?? r).padStart(5)).join(" ")}`);
for (const [route, row] of summarize(cells)) {
  const byRole = new Map(row.map((c) => [c.role, c]));
  const statuses = ROLES.map((r) => {
    const c = byRole.get(r);
    return `${c?.ok ? "" : "!"}${c?.status ?? "-"}`.padStart(5);
  });
  console.log(`${route.slice(0, 66).padEnd(66)} ${statuses.join(" ")}`);
}
const allowed = cells.filter((c) => c.ok && c.expected !== "deny").length;
const denied = cells.filter((c) => c.ok && c.expected === "deny").length;
const mismatched = cells.filter((c) => !c.ok);
const crossTenant = cells.filter((c) => c.crossTenant);
console.log("");
for (const c of mismatched) {
  const leak = c.leak ? ` (answer carried ${c.leak})` : "";
  console.log(
    `mismatch: ${c.route} as ${c.role}: expected ${c.expected}, got ${c.status} ${c.code}${leak}`,
  );
}
for (const u of unclassified) console.log(`unclassified route: ${u}`);
console.log(
  [
    "",
    `routes        ${new Set(cells.map((c) => c.route)).size} (unclassified ${unclassified.length})`,
    `roles         ${ROLES.length}`,
    `cells         ${cells.length}`,
    `allowed       ${allowed}`,
    `denied        ${denied}`,
    `mismatched    ${mismatched.length}`,
    `cross-tenant  ${crossTenant.length}`,
  ].join("\n"),
);
process.exit(mismatched.length + unclassified.length > 0 ? 1 : 0);
