import { useCallback, useEffect, useRef, useState } from "react";
import { Loading, ProblemView } from "./components/states.tsx";
import { Link } from "./components/ui.tsx";
import { AgxProblem, api, onSignedOut, setCsrfToken } from "./lib/api.ts";
import { match, navigate, useLocation } from "./lib/router.ts";
import { CataloguePage } from "./pages/catalogue.tsx";
import { FloorPage } from "./pages/floor.tsx";
import { MachinesPage } from "./pages/machines.tsx";
import { ListingPage, MarketPage, NewListingPage } from "./pages/market.tsx";
import { OperatorPage } from "./pages/operator.tsx";
import { OrderPage, OrdersPage } from "./pages/orders.tsx";
import { SignInPage } from "./pages/sign-in.tsx";
import { WalletPage } from "./pages/wallet.tsx";
import { isOperator, SessionContext } from "./session.tsx";
import type { SessionInfo } from "./types.ts";

type SessionState = { state: "loading" } | { state: "out" } | { state: "in"; info: SessionInfo };

const NAV = [
  { to: "/market", label: "Market" },
  { to: "/orders", label: "Orders" },
  { to: "/wallet", label: "Wallet" },
  { to: "/machines", label: "Machines & agents" },
  { to: "/catalogue", label: "Catalogue" },
  { to: "/floor", label: "Live floor" },
];

/** The console: sign-in when signed out, else the shell with its pages. */
export function App() {
  const [session, setSession] = useState<SessionState>({ state: "loading" });
  const [error, setError] = useState<Error | null>(null);

  const refresh = useCallback(async () => {
    try {
      const info = await api<SessionInfo>("GET", "/api/v1/session");
      setCsrfToken(info.csrfToken);
      setSession({ state: "in", info });
      setError(null);
    } catch (e) {
      setCsrfToken(null);
      if (e instanceof AgxProblem && e.status === 401) setSession({ state: "out" });
      else setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, []);

  useEffect(() => {
    void refresh();
    return onSignedOut(() => {
      setCsrfToken(null);
      setSession({ state: "out" });
    });
  }, [refresh]);

  if (error) return <ProblemView error={error} onRetry={() => void refresh()} />;
  if (session.state === "loading") return <Loading what="your session" />;
  if (session.state === "out") return <SignInPage onSignedIn={refresh} />;
  return (
    <SessionContext.Provider value={session.info}>
      <Shell info={session.info} onSignedOut={() => setSession({ state: "out" })} />
    </SessionContext.Provider>
  );
}

function Shell({ info, onSignedOut }: { info: SessionInfo; onSignedOut: () => void }) {
  const { path } = useLocation();
  const main = useRef<HTMLElement>(null);
  // Moving to a page moves focus to it, so keyboard and screen reader users start there.
  // biome-ignore lint/correctness/useExhaustiveDependencies: focus follows the path.
  useEffect(() => {
    main.current?.focus();
  }, [path]);
  const [signingOut, setSigningOut] = useState(false);
  const signOut = async () => {
    setSigningOut(true);
    try {
      await api("DELETE", "/api/v1/session");
    } finally {
      setCsrfToken(null);
      navigate("/", { replace: true });
      onSignedOut();
    }
  };
  const nav = isOperator(info) ? [...NAV, { to: "/operator", label: "Operator" }] : NAV;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">agx</span>
        <nav aria-label="Console">
          <ul>
            {nav.map((n) => (
              <li key={n.to}>
                <Link to={n.to} className={path.startsWith(n.to) ? "current" : ""}>
                  <span aria-current={path.startsWith(n.to) ? "page" : undefined}>{n.label}</span>
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span title={info.principal.id} data-testid="principal">
            {info.principal.display_name}
            {info.session.scope === "admin" ? " (operator)" : ""}
          </span>
          <button type="button" onClick={() => void signOut()} disabled={signingOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page path={path} />
      </main>
    </>
  );
}

function Page({ path }: { path: string }) {
  if (path === "/" || path === "/market") return <MarketPage />;
  if (path === "/market/new") return <NewListingPage />;
  const listing = match("/market/listings/:id", path);
  if (listing) return <ListingPage id={listing.id ?? ""} />;
  if (path === "/orders") return <OrdersPage />;
  const order = match("/orders/:id", path);
  if (order) return <OrderPage id={order.id ?? ""} />;
  if (path === "/wallet") return <WalletPage />;
  if (path === "/machines") return <MachinesPage />;
  if (path === "/catalogue") return <CataloguePage />;
  if (path === "/floor") return <FloorPage />;
  if (path === "/operator") return <OperatorPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link to="/market">Go to the market</Link>.
      </p>
    </section>
  );
}
