import type { Api, CallSpec, Outcome } from "./support/ops.ts";
import type { Principal, World } from "./support/ops-world.ts";

/**
 * The money operations of the crash harness. Each scenario is a short sequence of writes by one
 * client, every write with its own Idempotency-Key, retried with that key until the hub gives
 * a definitive answer. What each write got is recorded for the end-of-run checks.
 */

export const scenarioKinds = [
  "deposit",
  "invoke",
  "order_confirm",
  "order_refund",
  "order_cancel",
  "channel",
  "market_accept",
  "market_cancel",
  "hold_post",
  "hold_void",
  "delegated",
  "pipeline",
] as const;
export type Kind = (typeof scenarioKinds)[number];

/** How often each kind is drawn (relative). */
const weights: Record<Kind, number> = {
  deposit: 8,
  invoke: 20,
  order_confirm: 6,
  order_refund: 4,
  order_cancel: 4,
  channel: 6,
  market_accept: 4,
  market_cancel: 3,
  hold_post: 6,
  hold_void: 4,
  delegated: 5,
  pipeline: 4,
};

export function drawKind(random: () => number = Math.random): Kind {
  const total = scenarioKinds.reduce((s, k) => s + weights[k], 0);
  let r = random() * total;
  for (const k of scenarioKinds) {
    r -= weights[k];
    if (r < 0) return k;
  }
  return "invoke";
}

export interface StepRecord {
  name: string;
  outcome: Outcome["kind"];
  status: number | null;
  code: string | null;
  attempts: number;
}

export interface OpRecord {
  id: string;
  kind: Kind;
  client: number;
  steps: StepRecord[];
  /** Ids learnt from answers: order, channel, market order, listing. */
  refs: Record<string, string>;
  /** Every step acknowledged. */
  completed: boolean;
}

/** Shared by all clients: the write budget and the record of everything sent. */
export class Ledgerbook {
  started = 0;
  /** Writes answered (or given up on): what the kill schedule follows. */
  done = 0;
  readonly records: OpRecord[] = [];
  constructor(readonly writes_max: number) {}
  take(n: number): boolean {
    if (this.started >= this.writes_max) return false;
    this.started += n;
    return true;
  }
}

type StepFn = (name: string, method: string, path: string, spec: CallSpec) => Promise<Outcome>;

/** Runs one client's scenarios until the book's write budget is spent. */
export async function runClient(
  api: Api,
  world: World,
  book: Ledgerbook,
  client: number,
  random: () => number = Math.random,
): Promise<void> {
  const buyer = world.buyers[client] as Principal;
  let n = 0;
  for (;;) {
    const kind = drawKind(random);
    if (!book.take(stepsOf(kind))) return;
    const rec: OpRecord = {
      id: `s${world.run}-${client}-${n++}`,
      kind,
      client,
      steps: [],
      refs: {},
      completed: false,
    };
    book.records.push(rec);
    const step: StepFn = async (name, method, path, spec) => {
      const out = await api.call(method, path, { ...spec, idem: `${rec.id}:${name}` });
      book.done++;
      rec.steps.push({
        name,
        outcome: out.kind,
        status: out.kind === "unknown" ? null : out.reply.status,
        code: out.kind === "unknown" ? null : (out.reply.body?.code ?? null),
        attempts: out.attempts,
      });
      return out;
    };
    rec.completed = await scenarios[kind](step, world, buyer, rec, random);
  }
}

function stepsOf(kind: Kind): number {
  return {
    deposit: 1,
    invoke: 1,
    order_confirm: 5,
    order_refund: 5,
    order_cancel: 4,
    channel: 4,
    market_accept: 9,
    market_cancel: 6,
    hold_post: 2,
    hold_void: 2,
    delegated: 1,
    pipeline: 1,
  }[kind];
}

type Scenario = (
  step: StepFn,
  world: World,
  buyer: Principal,
  rec: OpRecord,
  random: () => number,
) => Promise<boolean>;

const ok = (o: Outcome) => o.kind === "acked";
const digestInput = (data: string) => ({ algorithm: "sha256", data });

async function order(
  step: StepFn,
  world: World,
  buyer: Principal,
  rec: OpRecord,
  rail: "escrow" | "prepaid",
  end: "confirm" | "refund" | "cancel",
): Promise<boolean> {
  const created = await step("create", "POST", "/api/v1/market/orders", {
    key: buyer.key,
    body: {
      service_id: world.service.id,
      input: digestInput(rec.id),
      rail,
      client_ref: rec.id,
    },
  });
  if (created.kind !== "acked") return false;
  const id = created.reply.body.id as string;
  rec.refs.order = id;
  const base = `/api/v1/market/orders/${id}`;
  if (!ok(await step("intent", "POST", `${base}/payment-intent`, { key: buyer.key, body: {} })))
    return false;
  const pay = rail === "escrow" ? "payment/escrow-lock" : "payment";
  if (!ok(await step("pay", "POST", `${base}/${pay}`, { key: buyer.key, body: {} }))) return false;
  if (end === "cancel")
    return ok(await step("cancel", "POST", `${base}/cancel`, { key: buyer.key, body: {} }));
  if (!ok(await step("execute", "POST", `${base}/execute`, { key: buyer.key, body: {} })))
    return false;
  if (end === "confirm")
    return ok(await step("confirm", "POST", `${base}/confirm`, { key: buyer.key, body: {} }));
  return ok(await step("refund", "POST", `${base}/refund`, { key: world.admin, body: {} }));
}

async function market(
  step: StepFn,
  world: World,
  buyer: Principal,
  rec: OpRecord,
  end: "accept" | "cancel",
): Promise<boolean> {
  const seller = world.provider;
  const listing = await step("listing", "POST", "/api/market/listings", {
    key: buyer.key,
    body: {
      kind: "bounty",
      title: `stress ${rec.id}`,
      description: "a stress bounty",
      category: "stress",
      price: { type: "fixed", amount: "0.1" },
      asset: "USDC",
    },
  });
  if (listing.kind !== "acked") return false;
  rec.refs.listing = listing.reply.body.id as string;
  const nego = await step("negotiate", "POST", "/api/market/negotiations", {
    key: seller.key,
    body: { sourceType: "bounty", sourceId: rec.refs.listing },
  });
  if (nego.kind !== "acked") return false;
  const id = nego.reply.body.order.id as string;
  rec.refs.market_order = id;
  const fire = async (name: string, who: Principal, body: Record<string, unknown>) =>
    ok(await step(name, "PATCH", `/api/market/orders/${id}`, { key: who.key, body }));
  if (!(await fire("agree_buyer", buyer, { event: "agree" }))) return false;
  if (!(await fire("agree_seller", seller, { event: "agree" }))) return false;
  if (!(await fire("fund", buyer, { event: "fund" }))) return false;
  if (end === "cancel") return fire("cancel", buyer, { event: "cancel" });
  if (!(await fire("start", seller, { event: "start" }))) return false;
  const proof = { text: "done", urls: ["https://files.example/out.txt"] };
  if (!(await fire("proof", seller, { event: "submit_proof", proof }))) return false;
  if (!(await fire("review", buyer, { event: "start_review" }))) return false;
  return fire("accept", buyer, { event: "accept" });
}

async function hold(
  step: StepFn,
  world: World,
  buyer: Principal,
  rec: OpRecord,
  end: "post" | "void",
): Promise<boolean> {
  const held = await step("hold", "POST", "/api/v1/admin/transfers", {
    key: world.admin,
    body: {
      transfers: [
        {
          op: "hold",
          id: `${rec.id}.h`,
          debit_account_id: buyer.account_id,
          credit_account_id: world.provider.account_id,
          amount: "0.01",
          asset: "USDC",
          code: "stress",
        },
      ],
    },
  });
  if (held.kind !== "acked" || !["created", "exists"].includes(held.reply.body.results[0].result))
    return false;
  const close = await step(end, "POST", "/api/v1/admin/transfers", {
    key: world.admin,
    body: { transfers: [{ op: end, id: `${rec.id}.${end[0]}`, pending_id: `${rec.id}.h` }] },
  });
  return close.kind === "acked" && close.reply.body.results[0].result === "created";
}

async function channel(step: StepFn, world: World, buyer: Principal, rec: OpRecord) {
  const opened = await step("open", "POST", "/ai-market/channel/open", {
    key: buyer.key,
    body: { deposit: "0.05" },
  });
  if (opened.kind !== "acked") return false;
  const ch = opened.reply.body.channel.channel_id as string;
  rec.refs.channel = ch;
  for (const i of [1, 2]) {
    const call = await step(`debit${i}`, "POST", world.service.invoke_path, {
      key: buyer.key,
      headers: { "x-payment-channel": ch },
      body: { input: digestInput(`${rec.id}:c${i}`) },
    });
    if (!ok(call)) return false;
  }
  return ok(
    await step("close", "POST", "/ai-market/channel/close", {
      key: buyer.key,
      body: { channel_id: ch },
    }),
  );
}

/**
 * A two-step AIMP pipeline (b after a) of the world's service: one write that funds a float,
 * runs both paid steps from it and refunds what was not spent. Its node inputs name the record
 * (`<id>:p1`, `<id>:p2`), so the checks find each step's order.
 */
async function pipeline(step: StepFn, world: World, buyer: Principal, rec: OpRecord) {
  const [, , product_id, capability_id] = world.service.invoke_path.split("/");
  const node = (id: string, data: string) => ({
    id,
    product_id,
    capability_id,
    input: digestInput(data),
  });
  const run = await step("pipeline", "POST", "/ai-market/pipelines", {
    key: buyer.key,
    body: {
      nodes: [node("a", `${rec.id}:p1`), { ...node("b", `${rec.id}:p2`), depends_on: ["a"] }],
    },
  });
  if (run.kind === "acked") rec.refs.job = run.reply.body.job_id as string;
  return ok(run);
}

const scenarios: Record<Kind, Scenario> = {
  deposit: async (step, world, buyer, rec) =>
    ok(
      await step("deposit", "POST", "/api/v1/admin/deposits", {
        key: world.admin,
        body: { id: rec.id, owner_id: buyer.id, amount: "0.2", asset: "USDC" },
      }),
    ),
  invoke: async (step, world, buyer, rec) => {
    const out = await step("invoke", "POST", world.service.invoke_path, {
      key: buyer.key,
      body: { input: digestInput(rec.id) },
    });
    if (out.kind === "acked") rec.refs.order = out.reply.body.order_id;
    return ok(out);
  },
  order_confirm: (step, world, buyer, rec) => order(step, world, buyer, rec, "escrow", "confirm"),
  order_refund: (step, world, buyer, rec) => order(step, world, buyer, rec, "prepaid", "refund"),
  order_cancel: (step, world, buyer, rec, random) =>
    order(step, world, buyer, rec, random() < 0.5 ? "escrow" : "prepaid", "cancel"),
  channel: (step, world, buyer, rec) => channel(step, world, buyer, rec),
  market_accept: (step, world, buyer, rec) => market(step, world, buyer, rec, "accept"),
  market_cancel: (step, world, buyer, rec) => market(step, world, buyer, rec, "cancel"),
  hold_post: (step, world, buyer, rec) => hold(step, world, buyer, rec, "post"),
  hold_void: (step, world, buyer, rec) => hold(step, world, buyer, rec, "void"),
  delegated: async (step, world, _buyer, rec) => {
    const out = await step("invoke", "POST", world.service.invoke_path, {
      headers: { "x-agent-pairing-token": world.delegate.token },
      body: { input: digestInput(rec.id) },
    });
    if (out.kind === "acked") rec.refs.order = out.reply.body.order_id;
    return ok(out);
  },
  pipeline: (step, world, buyer, rec) => pipeline(step, world, buyer, rec),
};
