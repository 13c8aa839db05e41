import { type FormEvent, useState } from "react";
import { Empty, LoadView, ProblemView } from "../components/states.tsx";
import { ConfirmDialog, Field, Link, Money, When } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useAction, useLoad, usePolling } from "../lib/hooks.ts";
import {
  escrowStatus,
  type NextAction,
  nextActions,
  roleOf,
  statusLabel,
  waitingFor,
} from "../lib/order-actions.ts";
import { navigate, useLocation } from "../lib/router.ts";
import { isOperator, useSession } from "../session.tsx";
import type { MarketOrder, OrderDetail } from "../types.ts";
import { POLL_MS, Receipts, Review, Thread } from "./order-parts.tsx";

/** My market orders as buyer or seller. */
export function OrdersPage() {
  const { query } = useLocation();
  const status = query.get("status") ?? "";
  const me = useSession().principal.id;
  const { load, reload } = useLoad(
    (signal) =>
      api<{ items: MarketOrder[] }>("GET", "/api/market/orders", { query: { status }, signal }),
    [status],
  );
  return (
    <section aria-labelledby="orders-heading">
      <h1 id="orders-heading">Orders</h1>
      <Field label="Status">
        {(p) => (
          <select
            {...p}
            value={status}
            onChange={(e) =>
              navigate(e.target.value ? `/orders?status=${e.target.value}` : "/orders")
            }
          >
            <option value="">Any</option>
            {[
              "NEGOTIATING",
              "AWAITING_PAY",
              "ESCROWED",
              "DELIVERING",
              "PROOF_SUBMITTED",
              "REVIEWING",
              "COMPLETED",
              "DISPUTED",
              "CANCELLED",
              "REFUNDED",
              "RESOLVED",
            ].map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <LoadView load={load} what="orders" reload={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>
              No orders yet. Open a negotiation from the <Link to="/market">market</Link>.
            </Empty>
          ) : (
            <table>
              <caption className="sr-only">Your orders</caption>
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col">You are</th>
                  <th scope="col">Status</th>
                  <th scope="col">Price</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((o) => (
                  <tr key={o.id}>
                    <td>
                      <Link to={`/orders/${o.id}`}>{o.terms.scope.slice(0, 60) || o.id}</Link>
                    </td>
                    <td>{o.buyerId === me ? "buyer" : "seller"}</td>
                    <td>{statusLabel(o.status)}</td>
                    <td>
                      <Money minor={o.terms.price.amountMinor} asset={o.terms.price.asset} />
                    </td>
                    <td>
                      <When iso={o.updatedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadView>
    </section>
  );
}

/** One order: status, escrow, what I may do next, its timeline, receipts and thread. */
export function OrderPage({ id }: { id: string }) {
  const session = useSession();
  const { load, reload } = useLoad(
    (signal) => api<OrderDetail>("GET", `/api/market/orders/${id}`, { signal }),
    [id],
  );
  usePolling(reload, POLL_MS);
  return (
    <LoadView load={load} what="the order" reload={reload}>
      {(o) => {
        const role = roleOf(o, session.principal.id, isOperator(session));
        const escrow = escrowStatus(o.status);
        return (
          <article aria-labelledby="order-heading" className="order">
            <p>
              <Link to="/orders">← Orders</Link>
            </p>
            <h1 id="order-heading">Order {o.id}</h1>
            <dl className="facts">
              <dt>Status</dt>
              <dd data-testid="order-status">{statusLabel(o.status)}</dd>
              <dt>You are</dt>
              <dd>{role ?? "not a party"}</dd>
              <dt>Price</dt>
              <dd>
                <Money minor={o.terms.price.amountMinor} asset={o.terms.price.asset} /> (hub fee{" "}
                <Money minor={o.fee.amountMinor} asset={o.fee.asset} />)
              </dd>
              <dt>Escrow</dt>
              <dd data-testid="escrow-status">
                {escrow.label}
                {o.holdId ? <small> (hold {o.holdId})</small> : null}
              </dd>
              <dt>Scope</dt>
              <dd>{o.terms.scope}</dd>
              <dt>Agreed</dt>
              <dd>
                buyer {o.agreed.buyer ? "yes" : "no"} · seller {o.agreed.seller ? "yes" : "no"}
              </dd>
              {o.proof ? (
                <>
                  <dt>Proof</dt>
                  <dd>
                    {o.proof.text}
                    {o.proof.urls.map((u) => (
                      <div key={u}>
                        <a href={u} rel="noreferrer noopener" target="_blank">
                          {u}
                        </a>
                      </div>
                    ))}
                  </dd>
                </>
              ) : null}
            </dl>
            <Actions order={o} role={role} onDone={reload} />
            {(o.status === "COMPLETED" || o.status === "RESOLVED") &&
            (role === "buyer" || role === "seller") ? (
              <Review order={o} me={session.principal.id} onDone={reload} />
            ) : null}
            {o.dispute ? (
              <section aria-labelledby="dispute-heading">
                <h2 id="dispute-heading">Dispute</h2>
                <p>
                  Opened by {o.dispute.openedBy} on <When iso={o.dispute.openedAt} />:{" "}
                  {o.dispute.reason}
                </p>
                {o.dispute.decision ? (
                  <p>
                    Decided: seller {o.dispute.decision.sellerShareBps / 100}% —{" "}
                    <Money
                      minor={o.dispute.decision.seller.amountMinor}
                      asset={o.dispute.decision.seller.asset}
                    />{" "}
                    to the seller,{" "}
                    <Money
                      minor={o.dispute.decision.buyer.amountMinor}
                      asset={o.dispute.decision.buyer.asset}
                    />{" "}
                    back to the buyer.
                  </p>
                ) : (
                  <p>Waiting for the operator's decision.</p>
                )}
              </section>
            ) : null}
            <section aria-labelledby="timeline-heading">
              <h2 id="timeline-heading">Timeline</h2>
              {o.events.length === 0 ? (
                <Empty>Nothing happened yet.</Empty>
              ) : (
                <ol className="timeline" data-testid="timeline">
                  {o.events.map((e) => (
                    <li key={e.id}>
                      <When iso={e.at} /> — <strong>{e.event.replace(/_/g, " ")}</strong> by{" "}
                      {e.role}: {statusLabel(e.from)} → {statusLabel(e.to)}
                      {e.reason && e.reason !== e.event ? <span> ({e.reason})</span> : null}
                    </li>
                  ))}
                </ol>
              )}
            </section>
            <Receipts receipts={o.receipts} />
            <Thread
              threadId={o.threadId}
              me={session.principal.id}
              parties={{ [o.buyerId]: "Buyer", [o.sellerId]: "Seller" }}
              disputed={o.status === "DISPUTED"}
            />
          </article>
        );
      }}
    </LoadView>
  );
}

/** The next allowed events of an order as buttons, with their forms and confirmations. */
export function Actions({
  order,
  role,
  onDone,
}: {
  order: OrderDetail;
  role: ReturnType<typeof roleOf>;
  onDone: () => void;
}) {
  const actions = nextActions(order, role);
  const waiting = waitingFor(order, role);
  const [open, setOpen] = useState<NextAction | null>(null);
  const [confirming, setConfirming] = useState<NextAction | null>(null);
  const fire = useAction(async (key: string, body: Record<string, unknown>) => {
    await api("PATCH", `/api/market/orders/${order.id}`, { body, idempotencyKey: key });
    setOpen(null);
    setConfirming(null);
    onDone();
  });
  return (
    <section aria-labelledby="next-heading">
      <h2 id="next-heading">Next</h2>
      {actions.length === 0 ? (
        <p className="empty">{waiting ?? "Nothing for you to do on this order."}</p>
      ) : null}
      {waiting && actions.length > 0 ? <p>{waiting}</p> : null}
      <div className="actions">
        {actions.map((a) => (
          <button
            key={a.event}
            type="button"
            className={a.tone}
            disabled={fire.busy}
            onClick={() => {
              fire.clearError();
              if (a.input !== "none") setOpen(a);
              else if (a.confirm) setConfirming(a);
              else void fire.perform({ event: a.event });
            }}
          >
            {a.label}
          </button>
        ))}
      </div>
      {fire.error ? <ProblemView error={fire.error} /> : null}
      {open ? (
        <ActionForm
          action={open}
          order={order}
          busy={fire.busy}
          onCancel={() => setOpen(null)}
          onSubmit={(body) => void fire.perform({ event: open.event, ...body })}
        />
      ) : null}
      <ConfirmDialog
        open={confirming !== null}
        title={confirming?.label ?? ""}
        confirmLabel={confirming?.label ?? "Confirm"}
        onConfirm={() => confirming && void fire.perform({ event: confirming.event })}
        onCancel={() => setConfirming(null)}
      >
        <p>{confirming?.confirm}</p>
        <p>
          Price: <Money minor={order.terms.price.amountMinor} asset={order.terms.price.asset} />
        </p>
      </ConfirmDialog>
    </section>
  );
}

function ActionForm({
  action,
  order,
  busy,
  onSubmit,
  onCancel,
}: {
  action: NextAction;
  order: OrderDetail;
  busy: boolean;
  onSubmit: (body: Record<string, unknown>) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState("");
  const [urls, setUrls] = useState("");
  const [price, setPrice] = useState(order.terms.price.amount);
  const [scope, setScope] = useState(order.terms.scope);
  const [share, setShare] = useState("50");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (action.input === "proof") {
      const list = urls.split(/\s+/).filter(Boolean);
      onSubmit({ proof: { text, ...(list.length ? { urls: list } : {}) } });
    } else if (action.input === "reason") onSubmit({ reason: text });
    else if (action.input === "split") {
      onSubmit({
        sellerShareBps: Math.round(Number(share) * 100),
        ...(text ? { reason: text } : {}),
      });
    } else {
      const terms: Record<string, string> = {};
      if (price !== order.terms.price.amount) terms.price = price;
      if (scope !== order.terms.scope) terms.scope = scope;
      onSubmit(Object.keys(terms).length ? { terms } : {});
    }
  };
  return (
    <form onSubmit={submit} className="action-form" aria-label={action.label}>
      {action.input === "terms" ? (
        <>
          <p>
            Agree to these terms, or change them (the other side must then agree to the new ones).
          </p>
          <Field label="Scope">
            {(p) => <textarea {...p} value={scope} onChange={(e) => setScope(e.target.value)} />}
          </Field>
          <Field label={`Price (${order.terms.price.asset})`}>
            {(p) => (
              <input
                {...p}
                inputMode="decimal"
                value={price}
                onChange={(e) => setPrice(e.target.value)}
              />
            )}
          </Field>
        </>
      ) : null}
      {action.input === "proof" ? (
        <>
          <Field label="What you delivered">
            {(p) => (
              <textarea {...p} value={text} onChange={(e) => setText(e.target.value)} required />
            )}
          </Field>
          <Field label="Links" hint="http(s) URLs, space separated">
            {(p) => <input {...p} value={urls} onChange={(e) => setUrls(e.target.value)} />}
          </Field>
        </>
      ) : null}
      {action.input === "reason" ? (
        <Field label="Reason">
          {(p) => (
            <textarea {...p} value={text} onChange={(e) => setText(e.target.value)} required />
          )}
        </Field>
      ) : null}
      {action.input === "split" ? (
        <>
          <Field
            label="Seller's share (%)"
            hint="the rest returns to the buyer; the fee applies to the seller's part"
          >
            {(p) => (
              <input
                {...p}
                type="number"
                min={0}
                max={100}
                step={0.01}
                value={share}
                onChange={(e) => setShare(e.target.value)}
              />
            )}
          </Field>
          <Field label="Note">
            {(p) => <textarea {...p} value={text} onChange={(e) => setText(e.target.value)} />}
          </Field>
        </>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Sending…" : action.label}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
