import { useState } from "react";
import { Empty, LoadView, ProblemView } from "../components/states.tsx";
import { Field, When } from "../components/ui.tsx";
import { api, newIdempotencyKey } from "../lib/api.ts";
import { useAction, useLoad } from "../lib/hooks.ts";
import { parseAmount } from "../lib/money.ts";
import { navigate } from "../lib/router.ts";
import type { LedgerCheck, WebhookDelivery, WebhookEndpoint } from "../types.ts";

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

function Disputes() {
  const [id, setId] = useState("");
  return (
    <section aria-labelledby="disputes-heading">
      <h2 id="disputes-heading">Disputes</h2>
      <p className="meta">
        The hub has no operator-wide list of disputed orders yet; open one by its id (from the
        dispute webhook or the parties) to read its evidence and decide the split.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (id.trim()) navigate(`/orders/${id.trim()}`);
        }}
      >
        <Field label="Order id" hint="mord_…">
          {(p) => (
            <input
              {...p}
              value={id}
              onChange={(e) => setId(e.target.value)}
              pattern="mord_[0-9a-z]{26}"
            />
          )}
        </Field>
        <button type="submit">Open order</button>
      </form>
    </section>
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

function Webhooks() {
  const { load, reload } = useLoad(
    (signal) => api<{ items: WebhookEndpoint[] }>("GET", "/api/v1/webhooks", { signal }),
    [],
  );
  return (
    <section aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading">Webhook deliveries</h2>
      <LoadView load={load} what="webhook endpoints" reload={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>
              No webhook endpoints on this account. Subscribe one with POST /api/v1/webhooks.
            </Empty>
          ) : (
            page.items.map((e) => <Deliveries key={e.id} endpoint={e} />)
          )
        }
      </LoadView>
    </section>
  );
}

function Deliveries({ endpoint }: { endpoint: WebhookEndpoint }) {
  const { load, reload } = useLoad(
    (signal) =>
      api<{ items: WebhookDelivery[] }>("GET", `/api/v1/webhooks/${endpoint.id}/deliveries`, {
        query: { limit: 50 },
        signal,
      }),
    [endpoint.id],
  );
  const redeliver = useAction(async (_key: string, deliveryId: string | null) => {
    const path = deliveryId
      ? `/api/v1/webhooks/${endpoint.id}/deliveries/${deliveryId}/redeliver`
      : `/api/v1/webhooks/${endpoint.id}/redeliver`;
    await api("POST", path, { idempotencyKey: newIdempotencyKey() });
    reload();
  });
  return (
    <article className="card" aria-label={`Endpoint ${endpoint.url}`}>
      <h3>
        {endpoint.url} <small>({endpoint.status})</small>
      </h3>
      <p className="meta">{endpoint.event_types.join(", ")}</p>
      <LoadView load={load} what="deliveries" reload={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No deliveries yet.</Empty>
          ) : (
            <table>
              <caption className="sr-only">Deliveries to {endpoint.url}</caption>
              <thead>
                <tr>
                  <th scope="col">Event</th>
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
                {page.items.map((d) => (
                  <tr key={d.id}>
                    <td>{d.type}</td>
                    <td>{d.status}</td>
                    <td>{d.attempts}</td>
                    <td>{d.last_status_code ?? d.last_error ?? "—"}</td>
                    <td>
                      <When iso={d.created_at} />
                    </td>
                    <td>
                      <button
                        type="button"
                        onClick={() => void redeliver.perform(d.id)}
                        disabled={redeliver.busy}
                      >
                        Redeliver
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadView>
      {redeliver.error ? <ProblemView error={redeliver.error} /> : null}
      <button type="button" onClick={() => void redeliver.perform(null)} disabled={redeliver.busy}>
        Redeliver all failed
      </button>
    </article>
  );
}
