import { useEffect, useState } from "react";
import { Empty, LoadView, ProblemView } from "../components/states.tsx";
import { Field, When } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useAction, useLoad, usePolling } from "../lib/hooks.ts";
import { followThread, type LiveMode, mergeMessages } from "../lib/thread-live.ts";
import type { Message, OrderDetail } from "../types.ts";

/** How often an open order asks for news, and a thread whose live stream failed. */
export const POLL_MS = 2_000;

/** After the work: each party reviews the other once (it feeds their reputation). */
export function Review({
  order,
  me,
  onDone,
}: {
  order: OrderDetail;
  me: string;
  onDone: () => void;
}) {
  const [rating, setRating] = useState("5");
  const [text, setText] = useState("");
  const send = useAction(async (key: string) => {
    await api("POST", `/api/market/orders/${order.id}/reviews`, {
      body: { rating: Number(rating), text },
      idempotencyKey: key,
    });
    onDone();
  });
  const mine = order.reviews.find((r) => r.authorId === me);
  return (
    <section aria-labelledby="review-heading">
      <h2 id="review-heading">Review</h2>
      {order.reviews.map((r) => (
        <p key={r.id}>
          {r.authorId === me ? "You" : `The ${r.authorRole}`} rated {r.rating}/5
          {r.text ? `: ${r.text}` : ""}
        </p>
      ))}
      {mine ? null : (
        <form
          aria-label="Review the other side"
          onSubmit={(e) => {
            e.preventDefault();
            void send.perform();
          }}
        >
          <Field label="Rating">
            {(p) => (
              <select {...p} value={rating} onChange={(e) => setRating(e.target.value)}>
                {["5", "4", "3", "2", "1"].map((r) => (
                  <option key={r} value={r}>
                    {r} of 5
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Review">
            {(p) => <textarea {...p} value={text} onChange={(e) => setText(e.target.value)} />}
          </Field>
          {send.error ? <ProblemView error={send.error} /> : null}
          <button type="submit" disabled={send.busy}>
            Send review
          </button>
        </form>
      )}
    </section>
  );
}

export function Receipts({ receipts }: { receipts: OrderDetail["receipts"] }) {
  const [results, setResults] = useState<Record<string, string>>({});
  const verify = useAction(async (_key: string, id: string, jws: string) => {
    const r = await api<{ valid: boolean; kid: string; chain?: { ok: boolean; length: number } }>(
      "POST",
      "/v1/verify",
      { body: { receipt: jws } },
    );
    setResults((s) => ({
      ...s,
      [id]: `valid, signed by ${r.kid}${r.chain ? `; chain ${r.chain.ok ? "intact" : "broken"} (${r.chain.length})` : ""}`,
    }));
  });
  return (
    <section aria-labelledby="receipts-heading">
      <h2 id="receipts-heading">Receipts</h2>
      {receipts.length === 0 ? (
        <Empty>No receipts yet: each state change issues one.</Empty>
      ) : (
        <ul className="receipts">
          {receipts.map((r) => (
            <li key={r.id}>
              <a href={`/peac/receipts/${r.id}`} target="_blank" rel="noreferrer">
                {r.kind} · {r.id}
              </a>{" "}
              <button
                type="button"
                onClick={() => void verify.perform(r.id, r.jws)}
                disabled={verify.busy}
              >
                Verify
              </button>{" "}
              {results[r.id] ? <span role="status">{results[r.id]}</span> : null}
            </li>
          ))}
        </ul>
      )}
      {verify.error ? <ProblemView error={verify.error} /> : null}
    </section>
  );
}

export function Thread({
  threadId,
  me,
  parties,
  disputed,
}: {
  threadId: string;
  me: string;
  parties: Record<string, string>;
  disputed: boolean;
}) {
  const { load, reload } = useLoad(
    (signal) =>
      api<{ items: Message[] }>("GET", `/api/market/threads/${threadId}/messages`, {
        query: { limit: 100 },
        signal,
      }),
    [threadId],
  );
  const [live, setLive] = useState<Message[]>([]);
  const [mode, setMode] = useState<LiveMode>("connecting");
  useEffect(() => {
    setLive([]);
    return followThread<Message>(`/api/market/threads/${threadId}/events`, {
      onMessage: (m) => setLive((seen) => [...seen, m]),
      // Whatever was posted while the stream was down comes with a reload of the page.
      onOpen: reload,
      onMode: setMode,
    });
  }, [threadId, reload]);
  usePolling(reload, POLL_MS, mode === "polling");
  const [body, setBody] = useState("");
  const post = useAction(async (key: string) => {
    await api("POST", `/api/market/threads/${threadId}/messages`, {
      body: { body, ...(disputed ? { kind: "evidence" } : {}) },
      idempotencyKey: key,
    });
    setBody("");
    reload();
  });
  return (
    <section aria-labelledby="thread-heading">
      <h2 id="thread-heading">Thread</h2>
      <p className="meta" data-testid="thread-mode" data-mode={mode}>
        {mode === "live"
          ? "Live: new messages appear as they are posted."
          : mode === "polling"
            ? "The live stream is unavailable; checking for news every two seconds."
            : "Connecting to the live stream…"}
      </p>
      <LoadView load={load} what="messages" reload={reload}>
        {(page) =>
          mergeMessages(page.items, live).length === 0 ? (
            <Empty>No messages yet.</Empty>
          ) : (
            <ol className="thread" aria-live="polite">
              {mergeMessages(page.items, live).map((m) => (
                <li key={m.id} className={m.authorId === me ? "mine" : ""}>
                  <small>
                    {m.authorId === me ? "You" : (parties[m.authorId] ?? m.authorId)} ·{" "}
                    <When iso={m.createdAt} />
                    {m.kind !== "text" ? ` · ${m.kind}` : ""}
                  </small>
                  <p>{m.body}</p>
                </li>
              ))}
            </ol>
          )
        }
      </LoadView>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (body.trim()) void post.perform();
        }}
      >
        <Field label={disputed ? "Add evidence" : "Message"}>
          {(p) => (
            <textarea {...p} value={body} onChange={(e) => setBody(e.target.value)} rows={2} />
          )}
        </Field>
        {post.error ? <ProblemView error={post.error} /> : null}
        <button type="submit" disabled={post.busy || !body.trim()}>
          Send
        </button>
      </form>
    </section>
  );
}
