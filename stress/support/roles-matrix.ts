import fc from "fast-check";
import { type Outcome, ROUTE_RULES, RULES } from "../authz-table.ts";
import { type Operation, operationsOf } from "./fuzz-requests.ts";
import { type JsonSchema, validArb } from "./fuzz-schema.ts";
import { ROLES, type Role, type RolesWorld, type WorldObjects } from "./roles.ts";

/** One cell of the matrix: what a role got on an operation, and whether that was expected. */
export interface Cell {
  route: string;
  role: Role;
  expected: Outcome;
  status: number;
  code: string;
  ok: boolean;
  /** A non-party got a 2xx on another tenant's object, or saw one of its ids. */
  crossTenant: boolean;
  /** The foreign id an answer carried, when it did. */
  leak?: string;
}

const BUILTIN = { product: "builtin-text-stats-analyze", capability: "analyze@v1" };

/** Path parameters: the tenant object the route is tried against (or a well-formed unknown id). */
function paramsFor(op: Operation, o: WorldObjects): Record<string, string> {
  const p = op.path;
  const out: Record<string, string> = {};
  const at = (prefix: string) => p.startsWith(prefix);
  for (const param of op.params.filter((x) => x.in === "path")) {
    const n = param.name;
    let v: string | undefined;
    if (n === "product") v = BUILTIN.product;
    else if (n === "capability") v = BUILTIN.capability;
    else if (n === "code") v = "NOT_FOUND";
    else if (n === "key") v = "hash.digest";
    else if (n === "pairingId") v = o.pairingA;
    else if (n === "providerKey") v = "matrix";
    else if (at("/api/v1/keys/")) v = o.buyerSpareKeyId;
    else if (at("/api/v1/catalog/services/")) v = o.providerServiceId;
    else if (at("/api/v1/market/orders/")) v = o.orderId;
    else if (at("/api/v1/machines/")) v = o.machineA;
    else if (at("/api/market/listings/")) v = o.listingId;
    else if (at("/api/market/orders/")) v = o.marketOrderId;
    else if (at("/api/market/threads/")) v = o.threadId;
    else if (at("/api/public/principals/")) v = o.buyerId;
    else if (at("/api/v1/webhooks/") && n === "id") v = o.webhookId;
    else if (at("/peac/receipts/") || n === "nonce") v = o.receiptId;
    out[n] = v ?? unknownId(param.schema);
  }
  return out;
}

/** A value that passes the parameter's schema but names nothing. */
function unknownId(schema: JsonSchema): string {
  return String(fc.sample(validArb(schema), { seed: 7, numRuns: 1 })[0] ?? "x");
}

/** Bodies that pass validation, so that object checks (after validation) are what answers. */
function bodyFor(op: Operation, o: WorldObjects, agent: string, role: Role): unknown {
  const key = `${op.method} ${op.path}`;
  const input = { algorithm: "sha256", data: "abc" };
  const given: Record<string, unknown> = {
    "POST /api/v1/market/search": {},
    "POST /api/v1/webhooks": { url: "https://hooks.example/matrix", event_types: ["*"] },
    "POST /api/v1/quotes": { service_id: o.providerServiceId, input },
    "POST /api/v1/market/orders": { service_id: o.providerServiceId, input, rail: "prepaid" },
    "PUT /ai-market/v2/federation/peers/{peer_id}/account": {},
    "POST /api/v1/market/orders/{id}/dispute": { reason: "late" },
    "POST /api/v1/market/orders/{id}/payment-proof": { proof: {} },
    "POST /api/v1/market/orders/{id}/payment/escrow-lock": {},
    "PATCH /api/v1/machines/{id}": { displayName: "Rover 2" },
    "PUT /api/v1/machines/{id}/runtime-endpoints/{providerKey}": { url: "https://rt.example/x" },
    "POST /api/v1/machines/{id}/agent-pairings/challenges": {
      agentAddress: agent,
      agentProvider: "anthropic",
      agentRole: "buyer",
    },
    "PATCH /api/v1/machines/{id}/agent-pairings/{pairingId}": { description: "matrix" },
    "POST /api/v1/machines/{id}/agent-pairings": {
      agentAddress: agent,
      agentProvider: "anthropic",
      agentRole: "buyer",
      agentProof: {
        challengeId: "ach_00000000000000000000000000",
        signature: `0x${"1".repeat(130)}`,
      },
      delegationPolicy: { currency: "USDC" },
    },
    "POST /api/v1/machines/{id}/agent-session/policy-check": {
      skillKey: "hash.digest",
      serviceId: o.providerServiceId,
      providerKey: "matrix",
      rails: ["agx-ledger"],
    },
    "PATCH /api/market/listings/{id}": { title: "Translate two manuals" },
    "PATCH /api/market/orders/{id}": { event: "agree" },
    "POST /api/market/threads/{id}/messages": { body: "hello" },
    "POST /api/market/orders/{id}/reviews": { rating: 5, text: "good" },
    "PATCH /api/v1/webhooks/{id}": { description: "matrix" },
    "POST /api/v1/webhooks/{id}/rotate-secret": {},
    "POST /capabilities/{product}/{capability}/invoke": { input: { text: "a b" } },
    "POST /ai-market/capabilities/{product}/{capability}/invoke": { input: { text: "a b" } },
    "POST /ai-market/pricing/{product}/{capability}": { input: { text: "a b" } },
  };
  if (key in given) return given[key];
  if (!op.body) return undefined;
  const sample = fc.sample(validArb(op.body), { seed: 11, numRuns: 1 })[0];
  // A skill key is a namespace its first publisher owns: one per role.
  if (key === "POST /api/v1/catalog/skills")
    return { ...(sample as object), key: `matrix.${role}` };
  return sample;
}

/** Routes that change what later cells depend on (revocations, deletions): tried last. */
const LAST = /^(DELETE|POST \/api\/v1\/catalog\/services\/\{id\}\/retire|POST .*rotate-secret)/;

/** Codes that refuse the caller rather than the request (402: pay by x402 instead of a key). */
const DENIAL =
  /^(UNAUTHENTICATED|FORBIDDEN|SESSION_INVALID|CSRF_TOKEN_INVALID|PAYMENT_REQUIRED|AGENT_PAIRING_.*|DPOP_.*)$/;

/**
 * deny: 401/402/403, or 404 for the object the path names. allow: none of the refusal codes and
 * no 404 for the path's object (a 404 or 401 about something in the body is the request's own
 * fault). party: as allow, plus 403 for an action that is the other party's.
 */
function outcomeOk(expected: Outcome, status: number, code: string, pathObject: boolean): boolean {
  if (status >= 500) return false;
  const hidden = status === 404 && pathObject;
  if (expected === "deny") return status === 401 || status === 402 || status === 403 || hidden;
  if (hidden) return false;
  // A party may be refused an action that is the other party's (403), never authentication.
  if (expected === "party") return status !== 401 || /_PROOF_INVALID$/.test(code);
  return !DENIAL.test(code);
}

/** Ids a role must never find in an answer: the objects it is no party to. */
function foreignIds(role: Role, o: WorldObjects): string[] {
  const buyerSide = role === "buyer" || role === "agentA";
  const operator = role === "operator";
  const ids: string[] = [];
  if (!buyerSide) ids.push(o.buyerSpareKeyId, o.webhookId);
  if (!buyerSide && !operator) ids.push(o.machineA, o.pairingA);
  if (!buyerSide && !operator && role !== "provider") ids.push(o.orderId);
  if (!["buyer", "seller", "agentA", "agentB", "operator"].includes(role)) {
    ids.push(o.marketOrderId, o.threadId);
  }
  if (!["seller", "agentB", "operator"].includes(role)) ids.push(o.machineB, o.pairingB);
  return ids;
}

/** Runs every operation as every role; denied cells first, state-changing ones last. */
export async function runMatrix(w: RolesWorld): Promise<{ cells: Cell[]; unclassified: string[] }> {
  const doc = (await w.t.call("GET", "/openapi.json")).body;
  const ops = operationsOf(doc);
  const unclassified = ops.map((op) => `${op.method} ${op.path}`).filter((k) => !ROUTE_RULES[k]);
  const plan: { op: Operation; role: Role; expected: Outcome }[] = [];
  for (const op of ops) {
    const rule = ROUTE_RULES[`${op.method} ${op.path}`];
    if (!rule) continue;
    for (const role of ROLES) plan.push({ op, role, expected: RULES[rule][role] });
  }
  // Denied cells first; then allowed ones; destructive routes last, deletions after the rest,
  // and on those the operator before the owner (whose call removes the object).
  const rank = (x: (typeof plan)[number]) => {
    const route = `${x.op.method} ${x.op.path}`;
    const late = LAST.test(route) ? (x.op.method === "DELETE" ? 4 : 2) : 0;
    const owner = late > 0 && x.role !== "operator" ? 0.5 : 0;
    return late + (x.expected === "deny" ? 0 : 1) + owner;
  };
  plan.sort((a, b) => rank(a) - rank(b));
  const cells: Cell[] = [];
  const deleted = new Set<string>();
  for (const { op, role, expected } of plan) {
    const cell = await tryCell(w, op, role, expected);
    // The second party to delete an object finds it gone: that is the deletion working.
    if (deleted.has(cell.route) && cell.expected === "party" && cell.status === 404) cell.ok = true;
    if (op.method === "DELETE" && cell.status < 300) deleted.add(cell.route);
    cells.push(cell);
  }
  return { cells, unclassified };
}

async function tryCell(w: RolesWorld, op: Operation, role: Role, expected: Outcome): Promise<Cell> {
  const params = paramsFor(op, w.objects);
  const url = op.path.replace(/\{([^}]+)\}/g, (_, n: string) =>
    encodeURIComponent(params[n] ?? ""),
  );
  const body = bodyFor(op, w.objects, w.agentAccount.address, role);
  const res = await w.t.hub.app.inject({
    method: op.method,
    url,
    headers: {
      ...w.creds[role],
      ...(op.path.includes("/stats/live") || op.path.endsWith("/events")
        ? { accept: "application/json" }
        : {}),
    },
    ...(body !== undefined ? { payload: body as object } : {}),
    payloadAsStream: true,
  });
  const text = await readSome(res.stream());
  let code = "";
  try {
    code = String(JSON.parse(text).code ?? "");
  } catch {}
  const status = res.statusCode;
  // An id the caller itself sent (echoed in `instance` or `detail`) is no leak.
  const leak = foreignIds(role, w.objects).find((id) => !url.includes(id) && text.includes(id));
  const leaked = leak !== undefined;
  const nonParty = expected === "deny";
  const crossTenant = leaked || (nonParty && status < 300 && RULES_WITH_OBJECTS.has(op.path));
  return {
    route: `${op.method} ${op.path}`,
    role,
    expected,
    status,
    code,
    ok: outcomeOk(expected, status, code, op.path.includes("{")) && !crossTenant,
    crossTenant,
    ...(leak ? { leak } : {}),
  };
}

const RULES_WITH_OBJECTS = new Set(
  Object.entries(ROUTE_RULES)
    .filter(([, r]) => !["public", "key", "key_or_agent", "admin"].includes(r))
    .map(([k]) => k.slice(k.indexOf(" ") + 1)),
);

async function readSome(stream: NodeJS.ReadableStream & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stream.destroy();
      resolve();
    };
    const timer = setTimeout(done, 300);
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", done);
    stream.on("error", done);
  });
  return Buffer.concat(chunks).toString("utf8");
}

/** Per route: allowed / denied / mismatched counts, for the printed table. */
export function summarize(cells: Cell[]) {
  const byRoute = new Map<string, Cell[]>();
  for (const c of cells) byRoute.set(c.route, [...(byRoute.get(c.route) ?? []), c]);
  return byRoute;
}
