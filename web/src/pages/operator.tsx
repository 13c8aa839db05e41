import { useState } from "react";
import { Empty, LoadView, ProblemView } from "../components/states.tsx";
import { Field, Link, Money, When } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useAction, useLoad } from "../lib/hooks.ts";
import { parseAmount } from "../lib/money.ts";
import type {
  AdminWebhookDelivery,
  LedgerCheck,
  MarketOrder,
  Message,
  OrderDetail,
} from "../types.ts";
import { Actions } from "./orders.tsx";

/** The operator's desk: disputes, deposits, ledger verification, webhook deliveries. */
export function OperatorPage() {
  return (
    <section aria-labelledby="operator-heading">
      <h1 id="operator-heading">Operator</h1>
      <Disputes />
      <CreditDeposit />
      <LedgerVerify />
      <Webhooks />
    </section>
  );
}

/** The disputes queue: every party's DISPUTED orders, their evidence and the split decision. */
function Disputes() {
  const { load, reload } = useLoad(
    (signal) =>
      api<{ items: MarketOrder[]; nextCursor: string | null }>("GET", "/api/market/orders", {
        query: { all: "true", status: "DISPUTED", limit: 50 },
        signal,
      }),
    [],
  );
  return (
    <section aria-labelledby="disputes-heading">
      <h2 id="disputes-heading">Disputes</h2>
      <LoadView load={load} what="the disputes queue" reload={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No disputed orders: nothing waits for a decision.</Empty>
          ) : (
            <ol className="disputes" data-testid="disputes-queue">
              {page.items.map((o) => (
                <li key={o.id}>
                  <Dispute id={o.id} onDecided={reload} />
                </li>
              ))}
            </ol>
          )
        }
      </LoadView>
      <button type="button" onClick={reload}>
        Refresh the queue
      </button>
    </section>
  );
}

/** The order role the operator decides disputes in (a prop named like the ARIA attribute). */
const OPERATOR = "operator" as const;

function Dispute({ id, onDecided }: { id: string; onDecided: () => void }) {
  const order = useLoad(
    (signal) => api<OrderDetail>("GET", `/api/market/orders/${id}`, { signal }),
    [id],
  );
  return (
    <article className="card" aria-label={`Disputed order ${id}`} data-order={id}>
      <LoadView load={order.load} what="the order" reload={order.reload}>
        {(o) => (
          <>
            <h3>
              <Link to={`/orders/${o.id}`}>Order {o.id}</Link>
            </h3>
            <p>
              <Money minor={o.terms.price.amountMinor} asset={o.terms.price.asset} /> in escrow ·{" "}
              {o.terms.scope}
            </p>
            {o.dispute ? (
              <p>
                Opened by {o.dispute.openedBy === o.buyerId ? "the buyer" : "the seller"} on{" "}
                <When iso={o.dispute.openedAt} />: {o.dispute.reason}
              </p>
            ) : null}
            <Evidence
              threadId={o.threadId}
              parties={{ [o.buyerId]: "Buyer", [o.sellerId]: "Seller" }}
            />
            <Actions
              order={o}
              role={OPERATOR}
              onDone={() => {
                order.reload();
                onDecided();
              }}
            />
          </>
        )}
      </LoadView>
    </article>
  );
}

function Evidence({ threadId, parties }: { threadId: string; parties: Record<string, string> }) {
  const { load, reload } = useLoad(
    (signal) =>
      api<{ items: Message[] }>("GET", `/api/market/threads/${threadId}/messages`, {
        query: { kind: "evidence", limit: 100 },
        signal,
      }),
    [threadId],
  );
  return (
    <LoadView load={load} what="the evidence" reload={reload}>
      {(page) =>
        page.items.length === 0 ? (
          <Empty>No evidence posted yet.</Empty>
        ) : (
          <ul className="evidence" aria-label="Evidence">
            {page.items.map((m) => (
              <li key={m.id}>
                <small>
                  {parties[m.authorId] ?? m.authorId} · <When iso={m.createdAt} />
                </small>
                <p>{m.body}</p>
                {(m.attachments as { url: string; name?: string }[]).map((a) => (
                  <div key={a.url}>
                    <a href={a.url} rel="noreferrer noopener" target="_blank">
                      {a.name ?? a.url}
                    </a>
                  </div>
                ))}
              </li>
            ))}
          </ul>
        )
      }
    </LoadView>
  );
}

function CreditDeposit() {
  const [form, setForm] = useState({ owner_id: "", amount: "", asset: "USDC" });
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const credit = useAction(async (key: string) => {
    const parsed = parseAmount(form.amount, form.asset);
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    setError(null);
    const res = await api<{ result: string; transfer: { id: string } }>(
      "POST",
      "/api/v1/admin/deposits",
      {
        body: {
          id: `dep_console_${key.slice(-20)}`,
          owner_id: form.owner_id.trim(),
          amount: parsed.text,
          asset: form.asset,
        },
        idempotencyKey: key,
      },
    );
    setDone(`Credited ${parsed.text} ${form.asset} to ${form.owner_id.trim()} (${res.result}).`);
  });
  return (
    <form
      aria-labelledby="deposit-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void credit.perform();
      }}
    >
      <h2 id="deposit-heading">Credit a deposit</h2>
      <p className="meta">Record money that arrived outside the hub for a principal.</p>
      <Field label="Principal id" hint="prn_…">
        {(p) => (
          <input
            {...p}
            value={form.owner_id}
            onChange={(e) => setForm({ ...form, owner_id: e.target.value })}
            required
          />
        )}
      </Field>
      <Field label="Amount" error={error ?? undefined}>
        {(p) => (
          <input
            {...p}
            inputMode="decimal"
            value={form.amount}
            onChange={(e) => setForm({ ...form, amount: e.target.value })}
            required
          />
        )}
      </Field>
      <Field label="Asset">
        {(p) => (
          <select
            {...p}
            value={form.asset}
            onChange={(e) => setForm({ ...form, asset: e.target.value })}
          >
            <option>USDC</option>
            <option>USDT</option>
          </select>
        )}
      </Field>
      {credit.error ? <ProblemView error={credit.error} /> : null}
      {done ? <p role="status">{done}</p> : null}
      <button type="submit" className="primary" disabled={credit.busy}>
        Credit deposit
      </button>
    </form>
  );
}

function LedgerVerify() {
  const { load, reload } = useLoad(
    (signal) => api<LedgerCheck>("GET", "/api/v1/admin/ledger/verify", { signal }),
    [],
  );
  return (
    <section aria-labelledby="ledger-heading">
      <h2 id="ledger-heading">Ledger</h2>
      <LoadView load={load} what="the ledger check" reload={reload}>
        {(v) => (
          <div>
            <p data-testid="ledger-status" className={v.ok ? "ok" : "bad"}>
              {v.ok
                ? "Verified: entries sum to zero per asset and every balance equals its entries."
                : "The ledger does NOT verify."}{" "}
              ({v.accounts_checked} accounts, {v.entries_checked} entries)
            </p>
            {v.failures.length > 0 ? (
              <ul>
                {v.failures.map((f) => (
                  <li key={`${f.check}:${f.subject}`}>
                    <strong>{f.check}</strong> {f.subject}: {f.detail}
                  </li>
                ))}
              </ul>
            ) : null}
            <button type="button" onClick={reload}>
              Verify again
            </button>
          </div>
        )}
      </LoadView>
    </section>
  );
}

type DeliveryStatus = "" | "pending" | "succeeded" | "dead";

/** Every principal's webhook deliveries, filtered, a page at a time, with redelivery. */
function Webhooks() {
  const [status, setStatus] = useState<DeliveryStatus>("");
  const [endpoint, setEndpoint] = useState("");
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const endpointId = /^whe_[0-9a-z]{26}$/.test(endpoint.trim()) ? endpoint.trim() : "";
  const { load, reload } = useLoad(
    (signal) =>
      api<{ items: AdminWebhookDelivery[]; next_cursor: string | null }>(
        "GET",
        "/api/v1/admin/webhooks/deliveries",
        { query: { status, endpoint_id: endpointId, cursor, limit: 25 }, signal },
      ),
    [status, endpointId, cursor],
  );
  const redeliver = useAction(async (key: string, deliveryId: string) => {
    await api("POST", `/api/v1/admin/webhooks/deliveries/${deliveryId}/redeliver`, {
      idempotencyKey: key,
    });
    reload();
  });
  return (
    <section aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading">Webhook deliveries</h2>
      <form className="filters" aria-label="Filter deliveries" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status">
          {(p) => (
            <select
              {...p}
              value={status}
              onChange={(e) => {
                setStatus(e.target.value as DeliveryStatus);
                setCursors([]);
              }}
            >
              <option value="">any</option>
              <option value="pending">pending</option>
              <option value="succeeded">succeeded</option>
              <option value="dead">dead (failed)</option>
            </select>
          )}
        </Field>
        <Field label="Endpoint id" hint="whe_… (empty: every endpoint)">
          {(p) => (
            <input
              {...p}
              value={endpoint}
              onChange={(e) => {
                setEndpoint(e.target.value);
                setCursors([]);
              }}
            />
          )}
        </Field>
      </form>
      <LoadView load={load} what="webhook deliveries" reload={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No deliveries match. Events reach principals' subscribed endpoints.</Empty>
          ) : (
            <>
              <DeliveryTable
                items={page.items}
                busy={redeliver.busy}
                onRedeliver={(id) => void redeliver.perform(id)}
              />
              <div className="actions">
                {cursors.length > 0 ? (
                  <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>
                    Newer
                  </button>
                ) : null}
                {page.next_cursor ? (
                  <button
                    type="button"
                    onClick={() => setCursors([...cursors, page.next_cursor as string])}
                  >
                    Older
                  </button>
                ) : null}
              </div>
            </>
          )
        }
      </LoadView>
      {redeliver.error ? <ProblemView error={redeliver.error} /> : null}
    </section>
  );
}

function DeliveryTable({
  items,
  busy,
  onRedeliver,
}: {
  items: AdminWebhookDelivery[];
  busy: boolean;
  onRedeliver: (id: string) => void;
}) {
  return (
    <table data-testid="deliveries">
      <caption className="sr-only">Webhook deliveries of every principal, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Owner</th>
          <th scope="col">Endpoint</th>
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last answer</th>
          <th scope="col">Created</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((d) => (
          <tr key={d.id} data-delivery={d.id}>
            <td>{d.type}</td>
            <td>
              <code>{d.owner_id}</code>
            </td>
            <td>
              <code>{d.endpoint_id}</code>
            </td>
            <td>{d.status}</td>
            <td>
              {d.attempts}
              {d.generation > 1 ? <small> (round {d.generation})</small> : null}
            </td>
            <td>{d.last_status_code ?? d.last_error ?? "—"}</td>
            <td>
              <When iso={d.created_at} />
            </td>
            <td>
              <button
                type="button"
                onClick={() => onRedeliver(d.id)}
                disabled={busy || d.status === "pending"}
                aria-label={`Redeliver ${d.type} to ${d.endpoint_id}`}
              >
                Redeliver
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
