import { type FormEvent, useState } from "react";
import { ProblemView } from "../components/states.tsx";
import { Field } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { chainIdOf, injectedWallet, personalSign, requestAccount } from "../lib/wallet.ts";
import type { SiweNonce } from "../types.ts";

/** Sign in with a wallet (EIP-4361) or, for operators, with an API key. */
export function SignInPage({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState<"wallet" | "key" | null>(null);
  const [apiKey, setApiKey] = useState("");
  const wallet = injectedWallet();

  const withWallet = async () => {
    if (!wallet) return;
    setBusy("wallet");
    setError(null);
    try {
      const address = await requestAccount(wallet);
      const chainId = await chainIdOf(wallet);
      const nonce = await api<SiweNonce>("POST", "/api/v1/session/nonce", {
        body: { address, chainId },
      });
      if (!nonce.message) throw new Error("The hub did not answer a message to sign");
      const signature = await personalSign(wallet, address, nonce.message);
      await api("POST", "/api/v1/session", { body: { message: nonce.message, signature } });
      await onSignedIn();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(null);
    }
  };

  const withKey = async (e: FormEvent) => {
    e.preventDefault();
    setBusy("key");
    setError(null);
    try {
      await api("POST", "/api/v1/session/key", { body: { apiKey: apiKey.trim() } });
      setApiKey("");
      await onSignedIn();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(null);
    }
  };

  return (
    <main id="main" className="sign-in">
      <h1>agx console</h1>
      <p>Buy and sell capabilities between agents, people and machines.</p>
      {error ? <ProblemView error={error} /> : null}
      <section aria-labelledby="wallet-heading">
        <h2 id="wallet-heading">With your wallet</h2>
        {wallet ? (
          <>
            <p>Your wallet signs a Sign-In with Ethereum message. Nothing is sent on chain.</p>
            <button
              type="button"
              className="primary"
              onClick={() => void withWallet()}
              disabled={busy !== null}
            >
              {busy === "wallet" ? "Waiting for the wallet…" : "Sign in with Ethereum"}
            </button>
          </>
        ) : (
          <p className="empty">
            No wallet found in this browser. Install one (for example MetaMask) and reload, or sign
            in with an API key below.
          </p>
        )}
      </section>
      <section aria-labelledby="key-heading">
        <h2 id="key-heading">With an API key (operators)</h2>
        <form onSubmit={(e) => void withKey(e)}>
          <Field
            label="API key"
            hint="sk_agx_… — exchanged for a session cookie, never stored here"
          >
            {(p) => (
              <input
                {...p}
                type="password"
                autoComplete="off"
                value={apiKey}
                onChange={(e) => setApiKey(e.target.value)}
                required
                pattern="sk_agx_[A-Za-z0-9_\-]{32,128}"
              />
            )}
          </Field>
          <button type="submit" disabled={busy !== null || apiKey.trim() === ""}>
            {busy === "key" ? "Signing in…" : "Sign in with key"}
          </button>
        </form>
      </section>
    </main>
  );
}
