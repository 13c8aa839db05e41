import type { ReactNode } from "react";
import { AgxNetworkError, AgxProblem } from "../lib/api.ts";
import type { Load } from "../lib/hooks.ts";

/** A polite, announced loading line. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** What a list shows when it has nothing, with what to do about it. */
export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/**
 * An error for people: the problem's title and detail, the fields it names, its code linked to
 * the hub's documentation page and the request id to quote.
 */
export function ProblemView({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const problem = error instanceof AgxProblem ? error : null;
  return (
    <div className="problem" role="alert">
      <strong>
        {problem ? problem.title : error instanceof AgxNetworkError ? "Offline" : "Error"}
      </strong>
      <p>{problem ? problem.detail || problem.message : error.message}</p>
      {problem && problem.errors.length > 0 ? (
        <ul>
          {problem.errors.map((e) => (
            <li key={`${e.pointer}:${e.detail}`}>
              <code>{e.pointer || "/"}</code> {e.detail}
            </li>
          ))}
        </ul>
      ) : null}
      {problem ? (
        <p className="problem-meta">
          <a href={`/problems/${problem.code}`} target="_blank" rel="noreferrer">
            {problem.code}
          </a>
          {problem.request_id ? <span> · request {problem.request_id}</span> : null}
        </p>
      ) : null}
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** Renders a Load: loading line, problem with retry, or the data. */
export function LoadView<T>({
  load,
  what,
  reload,
  children,
}: {
  load: Load<T>;
  what: string;
  reload?: () => void;
  children: (data: T) => ReactNode;
}) {
  if (load.state === "loading") return <Loading what={what} />;
  if (load.state === "error") {
    return <ProblemView error={load.error} {...(reload ? { onRetry: reload } : {})} />;
  }
  return <>{children(load.data)}</>;
}
