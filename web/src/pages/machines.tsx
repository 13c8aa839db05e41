import { type FormEvent, useState } from "react";
import { Empty, LoadView, ProblemView } from "../components/states.tsx";
import { ConfirmDialog, Field, When } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useAction, useLoad } from "../lib/hooks.ts";
import { formatMoney, minorOfDecimal } from "../lib/money.ts";
import {
  emptyPolicyForm,
  type PolicyForm,
  policyBody,
  policyFormOf,
  usedPercent,
} from "../lib/policy.ts";
import { chainIdOf, injectedWallet, personalSign, requestAccount } from "../lib/wallet.ts";
import { useSession } from "../session.tsx";
import type { OwnerMachine, Pairing } from "../types.ts";

/** My machines, their agent pairings with policies and spend, and registering/pairing. */
export function MachinesPage() {
  const { load, reload } = useLoad(
    (signal) => api<{ items: OwnerMachine[] }>("GET", "/api/v1/owner/machines", { signal }),
    [],
  );
  return (
    <section aria-labelledby="machines-heading">
      <h1 id="machines-heading">Machines &amp; agents</h1>
      <RegisterMachine onDone={reload} />
      <LoadView load={load} what="machines" reload={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>
              No machines yet. Register one above: your wallet proves you control its identity.
            </Empty>
          ) : (
            <ul className="machines">
              {page.items.map((m) => (
                <li key={m.machine.id}>
                  <MachineCard item={m} onChange={reload} />
                </li>
              ))}
            </ul>
          )
        }
      </LoadView>
    </section>
  );
}

function RegisterMachine({ onDone }: { onDone: () => void }) {
  const session = useSession();
  const [name, setName] = useState("");
  const [identityRef, setIdentityRef] = useState(
    session.session.address ? `did:pkh:eip155:1:${session.session.address}` : "",
  );
  const register = useAction(async (key: string) => {
    const wallet = injectedWallet();
    if (!wallet) throw new Error("A wallet is needed to sign the machine's identity challenge");
    const address = await requestAccount(wallet);
    const challenge = await api<{ item: { challengeId: string; message: string } }>(
      "POST",
      "/api/v1/machine-identity/challenges",
      { body: { identityRef } },
    );
    const signature = await personalSign(wallet, address, challenge.item.message);
    await api("POST", "/api/v1/machines", {
      body: {
        identityRef,
        ...(name.trim() ? { displayName: name.trim() } : {}),
        activate: true,
        identityProof: { challengeId: challenge.item.challengeId, signature },
      },
      idempotencyKey: key,
    });
    setName("");
    onDone();
  });
  const fillFromWallet = async () => {
    const wallet = injectedWallet();
    if (!wallet) return;
    const address = await requestAccount(wallet);
    setIdentityRef(`did:pkh:eip155:${await chainIdOf(wallet)}:${address}`);
  };
  return (
    <form
      aria-labelledby="register-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void register.perform();
      }}
    >
      <h2 id="register-heading">Register a machine</h2>
      <Field label="Name">
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label="Identity"
        hint="did:pkh, did:peaq, did:ethr or peaqos:machine:… — its controller signs the challenge"
      >
        {(p) => (
          <input
            {...p}
            value={identityRef}
            onChange={(e) => setIdentityRef(e.target.value)}
            required
          />
        )}
      </Field>
      <div className="actions">
        <button type="button" onClick={() => void fillFromWallet()} disabled={!injectedWallet()}>
          Use my wallet
        </button>
        <button type="submit" className="primary" disabled={register.busy || !identityRef}>
          {register.busy ? "Signing…" : "Sign challenge and register"}
        </button>
      </div>
      {register.error ? <ProblemView error={register.error} /> : null}
    </form>
  );
}

function MachineCard({ item, onChange }: { item: OwnerMachine; onChange: () => void }) {
  const m = item.machine;
  return (
    <article className="card" aria-labelledby={`machine-${m.id}`}>
      <h2 id={`machine-${m.id}`}>{m.displayName || m.id}</h2>
      <p className="meta">
        {m.status} · <code>{m.identityRef}</code> · registered <When iso={m.createdAt} />
      </p>
      <h3>Agents</h3>
      {item.pairings.length === 0 ? (
        <Empty>No agents paired.</Empty>
      ) : (
        <ul className="pairings">
          {item.pairings.map((p) => (
            <li key={p.id}>
              <PairingRow machineId={m.id} pairing={p} onChange={onChange} />
            </li>
          ))}
        </ul>
      )}
      {m.status === "active" ? <PairAgent machineId={m.id} onDone={onChange} /> : null}
    </article>
  );
}

function SpendBar({
  label,
  spent,
  limit,
  asset,
}: {
  label: string;
  spent: string;
  limit: string | null;
  asset: string;
}) {
  const limitMinor = limit === null ? null : minorOfDecimal(limit, asset);
  const pct = usedPercent(spent, limitMinor === null ? null : limitMinor.toString());
  return (
    <div className="spend">
      <span>
        {label}: {formatMoney(spent, asset)}{" "}
        {limit === null ? "(no limit)" : `of ${formatMoney(limitMinor ?? 0n, asset)}`}
      </span>
      {pct !== null ? (
        <meter min={0} max={100} value={pct} high={80} optimum={0} aria-label={`${label} used`}>
          {pct}%
        </meter>
      ) : null}
    </div>
  );
}

function PairingRow({
  machineId,
  pairing,
  onChange,
}: {
  machineId: string;
  pairing: Pairing;
  onChange: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [revoking, setRevoking] = useState(false);
  const policy = pairing.delegationPolicy as Record<string, string | null>;
  const currency = policy.currency ?? "USDC";
  const spend = pairing.spend.find((s) => s.asset === currency);
  const revoke = useAction(async (key: string) => {
    await api("DELETE", `/api/v1/machines/${machineId}/agent-pairings/${pairing.id}`, {
      idempotencyKey: key,
    });
    setRevoking(false);
    onChange();
  });
  const save = useAction(async (key: string, body: Record<string, unknown>) => {
    await api("PATCH", `/api/v1/machines/${machineId}/agent-pairings/${pairing.id}`, {
      body: { delegationPolicy: body },
      idempotencyKey: key,
    });
    setEditing(false);
    onChange();
  });
  return (
    <div className="pairing" data-testid={`pairing-${pairing.id}`}>
      <p>
        <strong>{pairing.agentRole}</strong> ({pairing.agentProvider}){" "}
        <code>{pairing.agentAddress}</code> ·{" "}
        <span data-testid="pairing-status">{pairing.status}</span>
      </p>
      <SpendBar
        label="Today"
        spent={spend?.today.amountMinor ?? "0"}
        limit={policy.dailySpendLimit ?? null}
        asset={currency}
      />
      <SpendBar
        label="This month"
        spent={spend?.thisMonth.amountMinor ?? "0"}
        limit={policy.monthlySpendLimit ?? null}
        asset={currency}
      />
      <SpendBar
        label="Total"
        spent={spend?.total.amountMinor ?? "0"}
        limit={policy.totalBudget ?? null}
        asset={currency}
      />
      <p className="meta">
        Per purchase:{" "}
        {policy.perTransactionLimit ? `${policy.perTransactionLimit} ${currency}` : "no limit"}
        {policy.expiresAt ? ` · expires ${new Date(policy.expiresAt).toLocaleString()}` : ""}
      </p>
      {pairing.status !== "revoked" ? (
        <div className="actions">
          <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            Edit policy
          </button>
          <button type="button" className="danger" onClick={() => setRevoking(true)}>
            Revoke
          </button>
        </div>
      ) : null}
      {editing ? (
        <PolicyEditor
          initial={policyFormOf(pairing.delegationPolicy)}
          busy={save.busy}
          submitLabel="Save policy"
          onSubmit={(body) => void save.perform(body)}
        />
      ) : null}
      {save.error ? <ProblemView error={save.error} /> : null}
      {revoke.error ? <ProblemView error={revoke.error} /> : null}
      <ConfirmDialog
        open={revoking}
        title="Revoke this agent?"
        confirmLabel="Revoke agent"
        onConfirm={() => void revoke.perform()}
        onCancel={() => setRevoking(false)}
      >
        <p>
          {pairing.agentRole} loses access at once: every token of this pairing is refused from now
          on. This cannot be undone; pair it again to restore access.
        </p>
      </ConfirmDialog>
    </div>
  );
}

/** The delegation policy with clear limits; checked here before the hub checks it again. */
function PolicyEditor({
  initial,
  busy,
  submitLabel,
  onSubmit,
}: {
  initial: PolicyForm;
  busy: boolean;
  submitLabel: string;
  onSubmit: (body: Record<string, unknown>) => void;
}) {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const field = (name: keyof PolicyForm, label: string, hint?: string) => (
    <Field label={label} error={errors[name]} {...(hint ? { hint } : {})}>
      {(p) => (
        <input
          {...p}
          value={form[name]}
          onChange={(e) => setForm({ ...form, [name]: e.target.value })}
        />
      )}
    </Field>
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const checked = policyBody(form);
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    onSubmit(checked.body);
  };
  return (
    <form onSubmit={submit} className="policy" aria-label="Delegation policy">
      <fieldset>
        <legend>Spend limits (empty means no limit)</legend>
        {field("currency", "Currency")}
        {field("perTransactionLimit", "Per purchase")}
        {field("dailySpendLimit", "Per day")}
        {field("monthlySpendLimit", "Per month")}
        {field("totalBudget", "In total")}
        {field("expiresAt", "Expires", "date and time, e.g. 2026-12-31T23:59")}
      </fieldset>
      <fieldset>
        <legend>What it may buy</legend>
        {field("allowedSkillKeys", "Only these skills", "comma separated; empty allows all")}
        {field("deniedSkillKeys", "Never these skills")}
        {field("allowedRails", "Only these rails", "e.g. prepaid, channel, x402")}
      </fieldset>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Saving…" : submitLabel}
      </button>
    </form>
  );
}

function PairAgent({ machineId, onDone }: { machineId: string; onDone: () => void }) {
  const [agent, setAgent] = useState({ agentAddress: "", agentProvider: "", agentRole: "" });
  const [challenge, setChallenge] = useState<{ challengeId: string; message: string } | null>(null);
  const [signature, setSignature] = useState("");
  const [token, setToken] = useState<string | null>(null);
  const ask = useAction(async () => {
    const c = await api<{ item: { challengeId: string; message: string } }>(
      "POST",
      `/api/v1/machines/${machineId}/agent-pairings/challenges`,
      { body: agent },
    );
    setChallenge(c.item);
  });
  const pair = useAction(async (key: string, policy: Record<string, unknown>) => {
    if (!challenge) return;
    const made = await api<{ item: { pairingToken?: string } }>(
      "POST",
      `/api/v1/machines/${machineId}/agent-pairings`,
      {
        body: {
          ...agent,
          agentProof: { challengeId: challenge.challengeId, signature: signature.trim() },
          delegationPolicy: policy,
        },
        idempotencyKey: key,
      },
    );
    setToken(made.item.pairingToken ?? null);
    setChallenge(null);
    setSignature("");
    onDone();
  });
  return (
    <details className="pair">
      <summary>Pair an agent</summary>
      {token ? (
        <div role="status">
          <p>
            Paired. Give the agent this token (shown once) for <code>x-agent-pairing-token</code>:
          </p>
          <textarea
            readOnly
            value={token}
            aria-label="Pairing token"
            rows={3}
            data-testid="pairing-token"
          />
        </div>
      ) : null}
      {challenge === null ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void ask.perform();
          }}
        >
          <Field label="Agent address (0x…)">
            {(p) => (
              <input
                {...p}
                value={agent.agentAddress}
                onChange={(e) => setAgent({ ...agent, agentAddress: e.target.value })}
                required
              />
            )}
          </Field>
          <Field label="Agent provider" hint="lower case, e.g. openai or my-lab">
            {(p) => (
              <input
                {...p}
                value={agent.agentProvider}
                onChange={(e) => setAgent({ ...agent, agentProvider: e.target.value })}
                required
              />
            )}
          </Field>
          <Field label="Agent role">
            {(p) => (
              <input
                {...p}
                value={agent.agentRole}
                onChange={(e) => setAgent({ ...agent, agentRole: e.target.value })}
                required
              />
            )}
          </Field>
          {ask.error ? <ProblemView error={ask.error} /> : null}
          <button type="submit" disabled={ask.busy}>
            Get the agent's challenge
          </button>
        </form>
      ) : (
        <div>
          <p>Have the agent sign exactly this text with EIP-191 personal_sign:</p>
          <textarea
            readOnly
            value={challenge.message}
            rows={6}
            aria-label="Challenge for the agent"
            data-testid="agent-challenge"
          />
          <Field label="The agent's signature (0x…)">
            {(p) => (
              <input {...p} value={signature} onChange={(e) => setSignature(e.target.value)} />
            )}
          </Field>
          <PolicyEditor
            initial={emptyPolicyForm}
            busy={pair.busy}
            submitLabel="Pair agent"
            onSubmit={(body) => void pair.perform(body)}
          />
          {pair.error ? <ProblemView error={pair.error} /> : null}
        </div>
      )}
    </details>
  );
}
