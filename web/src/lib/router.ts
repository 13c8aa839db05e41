import { useEffect, useState } from "react";

/* Listeners re-render useLocation users on navigate(). */
const listeners = new Set<() => void>();

/** Moves to a console path without reloading (History API); the hub serves index.html for any. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  for (const l of listeners) l();
}

/** The current path and query, re-rendering on navigation and on back/forward. */
function read() {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const [location, setLocation] = useState(read);
  useEffect(() => {
    const update = () => setLocation(read());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return location;
}

/** The params of `pattern` in `path`, or null: match("/orders/:id", "/orders/mord_1"). */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] ?? "";
    const seg = s[i] ?? "";
    if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(seg);
    else if (part !== seg) return null;
  }
  return params;
}
