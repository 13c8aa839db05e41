import { type FormEvent, useState } from "react";
import { Empty, LoadView, ProblemView } from "../components/states.tsx";
import { ConfirmDialog, Field, Link, Money, When } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useAction, useLoad } from "../lib/hooks.ts";
import { parseAmount } from "../lib/money.ts";
import { statusLabel } from "../lib/order-actions.ts";
import { navigate, useLocation } from "../lib/router.ts";
import { useSession } from "../session.tsx";
import type { Listing, MarketOrder, ListingPage as Page } from "../types.ts";

const FILTERS = ["q", "category", "tag", "asset", "priceMin", "priceMax"] as const;

function Price({ listing }: { listing: Listing }) {
  const { min, max, type } = listing.price;
  if (type === "fixed" || min.amountMinor === max.amountMinor) {
    return <Money minor={min.amountMinor} asset={min.asset} />;
  }
  return (
    <span>
      <Money minor={min.amountMinor} asset={min.asset} /> –{" "}
      <Money minor={max.amountMinor} asset={max.asset} />
    </span>
  );
}

/** Browse and search bounties and services, with filters kept in the URL. */
export function MarketPage() {
  const { query } = useLocation();
  const kind = query.get("kind") === "service" ? "service" : "bounty";
  const mine = query.get("mine") === "1";
  const filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ""]));
  const [draft, setDraft] = useState(filters);
  const [extra, setExtra] = useState<Listing[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const key = query.toString();
  const { load, reload } = useLoad(
    (signal) => {
      setExtra([]);
      setCursor(null);
      const path = mine
        ? "/api/market/listings"
        : kind === "bounty"
          ? "/api/public/bounties"
          : "/api/public/services";
      return api<Page>("GET", path, { query: filters, signal });
    },
    [key],
  );
  const go = (next: Record<string, string>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ kind, ...(mine ? { mine: "1" } : {}), ...next })) {
      if (v) q.set(k, v);
    }
    navigate(`/market?${q}`);
  };
  const more = useAction(async (_key: string, next: string) => {
    const path = kind === "bounty" ? "/api/public/bounties" : "/api/public/services";
    const page = await api<Page>("GET", mine ? "/api/market/listings" : path, {
      query: { ...filters, cursor: next },
    });
    setExtra((e) => [...e, ...page.items]);
    setCursor(page.nextCursor);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(draft);
  };
  return (
    <section aria-labelledby="market-heading">
      <div className="page-head">
        <h1 id="market-heading">Market</h1>
        <Link to="/market/new" className="button primary">
          Post a bounty or service
        </Link>
      </div>
      <fieldset className="tabs">
        <legend className="sr-only">Listing kind</legend>
        {(["bounty", "service"] as const).map((k) => (
          <button
            key={k}
            type="button"
            aria-pressed={kind === k}
            onClick={() => navigate(`/market?kind=${k}`)}
          >
            {k === "bounty" ? "Bounties" : "Services"}
          </button>
        ))}
        <label className="inline">
          <input
            type="checkbox"
            checked={mine}
            onChange={(e) => {
              const q = new URLSearchParams(query);
              if (e.target.checked) q.set("mine", "1");
              else q.delete("mine");
              navigate(`/market?${q}`);
            }}
          />
          Only my listings
        </label>
      </fieldset>
      <form className="filters" onSubmit={submit} aria-label="Filter listings">
        <Field label="Search">
          {(p) => (
            <input
              {...p}
              type="search"
              value={draft.q}
              onChange={(e) => setDraft({ ...draft, q: e.target.value })}
            />
          )}
        </Field>
        <Field label="Category">
          {(p) => (
            <input
              {...p}
              value={draft.category}
              onChange={(e) => setDraft({ ...draft, category: e.target.value })}
            />
          )}
        </Field>
        <Field label="Tag">
          {(p) => (
            <input
              {...p}
              value={draft.tag}
              onChange={(e) => setDraft({ ...draft, tag: e.target.value })}
            />
          )}
        </Field>
        <Field label="Asset" hint="needed for price filters">
          {(p) => (
            <input
              {...p}
              value={draft.asset}
              placeholder="USDC"
              onChange={(e) => setDraft({ ...draft, asset: e.target.value.toUpperCase() })}
            />
          )}
        </Field>
        <Field label="Price from">
          {(p) => (
            <input
              {...p}
              inputMode="decimal"
              value={draft.priceMin}
              onChange={(e) => setDraft({ ...draft, priceMin: e.target.value })}
            />
          )}
        </Field>
        <Field label="Price to">
          {(p) => (
            <input
              {...p}
              inputMode="decimal"
              value={draft.priceMax}
              onChange={(e) => setDraft({ ...draft, priceMax: e.target.value })}
            />
          )}
        </Field>
        <div className="actions">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            onClick={() => {
              const cleared = Object.fromEntries(FILTERS.map((f) => [f, ""]));
              setDraft(cleared);
              go(cleared);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <LoadView load={load} what="listings" reload={reload}>
        {(page) => {
          const items = [...page.items, ...extra];
          const next = extra.length > 0 ? cursor : page.nextCursor;
          if (items.length === 0) {
            return (
              <Empty>
                No {kind === "bounty" ? "bounties" : "services"} match.{" "}
                <Link to="/market/new">Post one</Link> or clear the filters.
              </Empty>
            );
          }
          return (
            <>
              <ul className="cards" aria-label="Listings">
                {items.map((l) => (
                  <li key={l.id} className="card">
                    <h2>
                      <Link to={`/market/listings/${l.id}`}>{l.title}</Link>
                    </h2>
                    <p className="meta">
                      <Price listing={l} /> · {l.category} · {statusLabel(l.status)}
                      {l.ownerReputation ? ` · reputation ${l.ownerReputation.score}` : ""}
                    </p>
                    {l.tags.length > 0 ? (
                      <p className="tags">
                        {l.tags.map((t) => (
                          <span key={t} className="tag">
                            {t}
                          </span>
                        ))}
                      </p>
                    ) : null}
                  </li>
                ))}
              </ul>
              {more.error ? <ProblemView error={more.error} /> : null}
              {next ? (
                <button type="button" onClick={() => void more.perform(next)} disabled={more.busy}>
                  {more.busy ? "Loading…" : "Load more"}
                </button>
              ) : null}
            </>
          );
        }}
      </LoadView>
    </section>
  );
}

/** Post a bounty (a need) or a service (an offer). */
export function NewListingPage() {
  const [form, setForm] = useState({
    kind: "bounty",
    title: "",
    description: "",
    category: "",
    tags: "",
    priceType: "fixed",
    amount: "",
    min: "",
    max: "",
    asset: "USDC",
  });
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const post = useAction(async (key: string, body: unknown) => {
    const listing = await api<Listing>("POST", "/api/market/listings", {
      body,
      idempotencyKey: key,
    });
    navigate(`/market/listings/${listing.id}`);
  });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errors: Record<string, string> = {};
    const amounts: Record<string, string> = {};
    for (const f of form.priceType === "fixed" ? ["amount"] : ["min", "max"]) {
      const parsed = parseAmount(form[f as "amount"], form.asset);
      if (!parsed.ok) errors[f] = parsed.error;
      else amounts[f] = parsed.text;
    }
    if (!form.title.trim()) errors.title = "Give it a title";
    if (!form.category.trim()) errors.category = "Name a category";
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) return;
    void post.perform({
      kind: form.kind,
      title: form.title.trim(),
      description: form.description,
      category: form.category.trim(),
      tags: form.tags
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
      price: { type: form.priceType, ...amounts },
      asset: form.asset,
    });
  };
  return (
    <section aria-labelledby="new-heading">
      <h1 id="new-heading">Post to the market</h1>
      <form onSubmit={submit} noValidate>
        <fieldset>
          <legend>Kind</legend>
          {[
            ["bounty", "Bounty — something I need done"],
            ["service", "Service — something I offer"],
          ].map(([value, label]) => (
            <label key={value} className="inline">
              <input
                type="radio"
                name="kind"
                value={value}
                checked={form.kind === value}
                onChange={set("kind")}
              />
              {label}
            </label>
          ))}
        </fieldset>
        <Field label="Title" error={fieldErrors.title}>
          {(p) => <input {...p} value={form.title} onChange={set("title")} maxLength={200} />}
        </Field>
        <Field label="Description">
          {(p) => (
            <textarea {...p} value={form.description} onChange={set("description")} rows={4} />
          )}
        </Field>
        <Field label="Category" error={fieldErrors.category}>
          {(p) => <input {...p} value={form.category} onChange={set("category")} />}
        </Field>
        <Field label="Tags" hint="comma separated">
          {(p) => <input {...p} value={form.tags} onChange={set("tags")} />}
        </Field>
        <fieldset>
          <legend>Price</legend>
          {[
            ["fixed", "Fixed"],
            ["range", "Range"],
          ].map(([value, label]) => (
            <label key={value} className="inline">
              <input
                type="radio"
                name="priceType"
                value={value}
                checked={form.priceType === value}
                onChange={set("priceType")}
              />
              {label}
            </label>
          ))}
          {form.priceType === "fixed" ? (
            <Field label="Amount" error={fieldErrors.amount}>
              {(p) => (
                <input {...p} inputMode="decimal" value={form.amount} onChange={set("amount")} />
              )}
            </Field>
          ) : (
            <>
              <Field label="From" error={fieldErrors.min}>
                {(p) => <input {...p} inputMode="decimal" value={form.min} onChange={set("min")} />}
              </Field>
              <Field label="To" error={fieldErrors.max}>
                {(p) => <input {...p} inputMode="decimal" value={form.max} onChange={set("max")} />}
              </Field>
            </>
          )}
          <Field label="Asset">
            {(p) => (
              <select {...p} value={form.asset} onChange={set("asset")}>
                <option>USDC</option>
                <option>USDT</option>
              </select>
            )}
          </Field>
        </fieldset>
        {post.error ? <ProblemView error={post.error} /> : null}
        <button type="submit" className="primary" disabled={post.busy}>
          {post.busy ? "Posting…" : "Post listing"}
        </button>
      </form>
    </section>
  );
}

/** One listing: negotiate on it, or (as its owner) see its orders and close it. */
export function ListingPage({ id }: { id: string }) {
  const me = useSession().principal.id;
  const { load, reload } = useLoad(
    (signal) => api<Listing>("GET", `/api/market/listings/${id}`, { signal }),
    [id],
  );
  const [message, setMessage] = useState("");
  const [closing, setClosing] = useState(false);
  const negotiate = useAction(async (key: string, l: Listing) => {
    const made = await api<{ order: { id: string } }>("POST", "/api/market/negotiations", {
      body: {
        sourceType: l.kind,
        sourceId: l.id,
        ...(message.trim() ? { message: message.trim() } : {}),
      },
      idempotencyKey: key,
    });
    navigate(`/orders/${made.order.id}`);
  });
  const close = useAction(async (key: string) => {
    await api("PATCH", `/api/market/listings/${id}`, {
      body: { status: "closed" },
      idempotencyKey: key,
    });
    setClosing(false);
    reload();
  });
  return (
    <LoadView load={load} what="the listing" reload={reload}>
      {(l) => (
        <article aria-labelledby="listing-heading">
          <p>
            <Link to={`/market?kind=${l.kind}`}>← Market</Link>
          </p>
          <h1 id="listing-heading">{l.title}</h1>
          <p className="meta">
            {l.kind === "bounty" ? "Bounty" : "Service"} · <Price listing={l} /> · {l.category} ·{" "}
            {statusLabel(l.status)} · posted <When iso={l.createdAt} />
          </p>
          <p className="description">{l.description || "No description."}</p>
          {l.ownerId === me ? (
            <>
              <h2>Orders on this listing</h2>
              <ListingOrders listingId={l.id} />
              {l.status === "open" ? (
                <button type="button" className="danger" onClick={() => setClosing(true)}>
                  Close listing
                </button>
              ) : null}
              {close.error ? <ProblemView error={close.error} /> : null}
              <ConfirmDialog
                open={closing}
                title="Close this listing?"
                confirmLabel="Close listing"
                onConfirm={() => void close.perform()}
                onCancel={() => setClosing(false)}
              >
                <p>Nobody can negotiate on it any more; open negotiations are cancelled.</p>
              </ConfirmDialog>
            </>
          ) : l.status === "open" ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void negotiate.perform(l);
              }}
            >
              <h2>Negotiate</h2>
              <Field label="Message to the owner" hint="optional; it opens the order's thread">
                {(p) => (
                  <textarea
                    {...p}
                    value={message}
                    onChange={(e) => setMessage(e.target.value)}
                    rows={3}
                  />
                )}
              </Field>
              {negotiate.error ? <ProblemView error={negotiate.error} /> : null}
              <button type="submit" className="primary" disabled={negotiate.busy}>
                {negotiate.busy ? "Opening…" : "Open negotiation"}
              </button>
            </form>
          ) : (
            <p className="empty">This listing is {l.status}; it takes no new negotiations.</p>
          )}
        </article>
      )}
    </LoadView>
  );
}

function ListingOrders({ listingId }: { listingId: string }) {
  const { load, reload } = useLoad(
    (signal) =>
      api<{ items: MarketOrder[] }>("GET", "/api/market/orders", { query: { listingId }, signal }),
    [listingId],
  );
  return (
    <LoadView load={load} what="orders" reload={reload}>
      {(page) =>
        page.items.length === 0 ? (
          <Empty>No negotiations yet.</Empty>
        ) : (
          <ul>
            {page.items.map((o) => (
              <li key={o.id}>
                <Link to={`/orders/${o.id}`}>{o.id}</Link> — {statusLabel(o.status)} ·{" "}
                <Money minor={o.terms.price.amountMinor} asset={o.terms.price.asset} />
              </li>
            ))}
          </ul>
        )
      }
    </LoadView>
  );
}
