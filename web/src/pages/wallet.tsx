import { useState } from "react";
import { Empty, LoadView, ProblemView } from "../components/states.tsx";
import { Field, Money, When } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useAction, useLoad } from "../lib/hooks.ts";
import { formatDelta } from "../lib/money.ts";
import type { Balance, Transfer } from "../types.ts";

interface ConsoleConfig {
  assets: { code: string; decimals: number }[];
  hubFeeBps: number;
  onchainDeposit: { network: string; token: string; payTo: string; ledgerAsset: string } | null;
}

interface Channel {
  channel_id: string;
  status: string;
  asset: string;
  deposit: string;
  balance?: string;
  expires_at: string;
}

/** Balances per asset, ledger history, how to deposit, and payment channels. */
export function WalletPage() {
  const balances = useLoad(
    (signal) => api<{ items: Balance[] }>("GET", "/api/v1/balances", { signal }),
    [],
  );
  return (
    <section aria-labelledby="wallet-heading">
      <h1 id="wallet-heading">Wallet</h1>
      <h2>Balances</h2>
      <LoadView load={balances.load} what="balances" reload={balances.reload}>
        {(data) => <Balances items={data.items} />}
      </LoadView>
      <History
        accounts={balances.load.state === "ready" ? balances.load.data.items.map((b) => b.id) : []}
      />
      <Deposit />
      <Channels />
    </section>
  );
}

function Balances({ items }: { items: Balance[] }) {
  if (items.length === 0) {
    return <Empty>No balances yet. Deposit below, or ask the operator to credit you.</Empty>;
  }
  return (
    <table data-testid="balances">
      <caption className="sr-only">Balances per asset and account kind</caption>
      <thead>
        <tr>
          <th scope="col">Asset</th>
          <th scope="col">Account</th>
          <th scope="col">Available</th>
          <th scope="col">Balance</th>
        </tr>
      </thead>
      <tbody>
        {items.map((b) => (
          <tr key={b.id} data-asset={b.asset} data-kind={b.kind}>
            <td>{b.asset}</td>
            <td>{b.kind}</td>
            <td data-testid={`available-${b.kind}-${b.asset}`}>
              <Money minor={b.available_minor} asset={b.asset} />
            </td>
            <td>
              <Money minor={b.balance_minor} asset={b.asset} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Transfers touching my accounts, signed from my side (credits +, debits −). */
function History({ accounts }: { accounts: string[] }) {
  const { load, reload } = useLoad(
    (signal) =>
      api<{ items: Transfer[]; next_cursor: string | null }>("GET", "/api/v1/transfers", {
        query: { limit: 50 },
        signal,
      }),
    [],
  );
  const mine = new Set(accounts);
  return (
    <>
      <h2>Ledger history</h2>
      <LoadView load={load} what="ledger history" reload={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No transfers yet.</Empty>
          ) : (
            <table>
              <caption className="sr-only">Transfers, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Reason</th>
                  <th scope="col">State</th>
                  <th scope="col">Amount</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((t) => {
                  const minor = BigInt(t.money.amount_minor);
                  const delta = mine.has(t.credit_account_id)
                    ? minor
                    : mine.has(t.debit_account_id)
                      ? -minor
                      : minor;
                  const receipt =
                    typeof t.metadata.receipt_id === "string" ? t.metadata.receipt_id : null;
                  return (
                    <tr key={t.id}>
                      <td>
                        <When iso={t.created_at} />
                      </td>
                      <td>
                        {t.code.replace(/_/g, " ")}
                        {receipt ? (
                          <>
                            {" "}
                            <a href={`/peac/receipts/${receipt}`} target="_blank" rel="noreferrer">
                              receipt
                            </a>
                          </>
                        ) : null}
                      </td>
                      <td>{t.state}</td>
                      <td>{formatDelta(delta, t.money.asset)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        }
      </LoadView>
    </>
  );
}

function Deposit() {
  const { load, reload } = useLoad(
    (signal) => api<ConsoleConfig>("GET", "/api/v1/console/config", { signal }),
    [],
  );
  const [form, setForm] = useState({ tx_hash: "", from: "", amount: "" });
  const [done, setDone] = useState<string | null>(null);
  const claim = useAction(async (key: string) => {
    await api("POST", "/api/v1/deposits/onchain", { body: form, idempotencyKey: key });
    setDone(`Deposit of ${form.amount} credited.`);
  });
  return (
    <>
      <h2>Deposit</h2>
      <LoadView load={load} what="deposit instructions" reload={reload}>
        {(c) =>
          c.onchainDeposit ? (
            <div>
              <p>
                Send {c.onchainDeposit.ledgerAsset} (token <code>{c.onchainDeposit.token}</code> on{" "}
                <code>{c.onchainDeposit.network}</code>) to the hub's address{" "}
                <code data-testid="pay-to">{c.onchainDeposit.payTo}</code> from an address you have
                bound to your account, then claim it with the transaction hash.
              </p>
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  void claim.perform();
                }}
              >
                <Field label="Transaction hash">
                  {(p) => (
                    <input
                      {...p}
                      value={form.tx_hash}
                      onChange={(e) => setForm({ ...form, tx_hash: e.target.value })}
                      required
                    />
                  )}
                </Field>
                <Field label="Sent from (0x…)">
                  {(p) => (
                    <input
                      {...p}
                      value={form.from}
                      onChange={(e) => setForm({ ...form, from: e.target.value })}
                      required
                    />
                  )}
                </Field>
                <Field label="Amount">
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
                {claim.error ? <ProblemView error={claim.error} /> : null}
                {done ? <p role="status">{done}</p> : null}
                <button type="submit" disabled={claim.busy}>
                  Claim deposit
                </button>
              </form>
            </div>
          ) : (
            <Empty>
              This hub takes no on-chain deposits. The operator credits deposits made another way
              (hub fee: {c.hubFeeBps / 100}% on settled orders). Assets:{" "}
              {c.assets.map((a) => a.code).join(", ")}.
            </Empty>
          )
        }
      </LoadView>
    </>
  );
}

function Channels() {
  const { load, reload } = useLoad(
    (signal) => api<{ items: Channel[] }>("GET", "/ai-market/channels", { signal }),
    [],
  );
  return (
    <>
      <h2>Payment channels</h2>
      <LoadView load={load} what="channels" reload={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No channels. Agents open them to pay many small calls from one deposit.</Empty>
          ) : (
            <table>
              <caption className="sr-only">Payment channels</caption>
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col">Status</th>
                  <th scope="col">Deposit</th>
                  <th scope="col">Left</th>
                  <th scope="col">Expires</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((c) => (
                  <tr key={c.channel_id}>
                    <td>{c.channel_id}</td>
                    <td>{c.status}</td>
                    <td>
                      {c.deposit} {c.asset}
                    </td>
                    <td>{c.balance ? `${c.balance} ${c.asset}` : "—"}</td>
                    <td>
                      <When iso={c.expires_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadView>
    </>
  );
}
