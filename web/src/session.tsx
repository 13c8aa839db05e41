import { createContext, useContext } from "react";
import type { SessionInfo } from "./types.ts";

/** The signed-in session, for pages that need who is acting (never null inside the shell). */
export const SessionContext = createContext<SessionInfo | null>(null);

export function useSession(): SessionInfo {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside the signed-in shell");
  return s;
}

/** True when the session may use operator routes. */
export const isOperator = (s: SessionInfo) => s.session.scope === "admin";
