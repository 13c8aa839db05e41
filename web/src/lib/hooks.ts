import { useCallback, useEffect, useRef, useState } from "react";
import { type AgxNetworkError, AgxProblem, newIdempotencyKey } from "./api.ts";

/** Loading, failed or loaded: every page shows one of the three. */
export type Load<T> =
  | { state: "loading" }
  | { state: "error"; error: AgxProblem | AgxNetworkError | Error }
  | { state: "ready"; data: T };

/** Loads `fetcher` now and whenever `deps` change; `reload` fetches again (keeping old data). */
export function useLoad<T>(fetcher: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [load, setLoad] = useState<Load<T>>({ state: "loading" });
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's.
  useEffect(() => {
    const controller = new AbortController();
    fetcher(controller.signal).then(
      (data) => setLoad({ state: "ready", data }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setLoad({
          state: "error",
          error: error instanceof Error ? error : new Error(String(error)),
        });
      },
    );
    return () => controller.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { load, reload };
}

/** Polls `reload` every `interval_ms` while the page is visible (and `enabled`). */
export function usePolling(reload: () => void, interval_ms: number, enabled = true): void {
  useEffect(() => {
    if (!enabled) return;
    const id = window.setInterval(() => {
      if (document.visibilityState === "visible") reload();
    }, interval_ms);
    return () => window.clearInterval(id);
  }, [reload, interval_ms, enabled]);
}

/**
 * A user action that changes something: busy while it runs, its problem when it fails, and one
 * Idempotency-Key kept until it succeeds, so pressing again after a failure is a safe retry.
 */
export function useAction<A extends unknown[], T>(
  run: (idempotencyKey: string, ...args: A) => Promise<T>,
) {
  const key = useRef(newIdempotencyKey());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AgxProblem | AgxNetworkError | Error | null>(null);
  const perform = useCallback(
    async (...args: A): Promise<T | undefined> => {
      setBusy(true);
      setError(null);
      try {
        const result = await run(key.current, ...args);
        key.current = newIdempotencyKey();
        return result;
      } catch (e) {
        // A refusal is final for this request; a new attempt gets a new key.
        if (e instanceof AgxProblem) key.current = newIdempotencyKey();
        setError(e instanceof Error ? e : new Error(String(e)));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [run],
  );
  return { perform, busy, error, clearError: () => setError(null) };
}
