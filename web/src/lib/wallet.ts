/** The EIP-1193 provider a browser wallet injects (MetaMask and others), when present. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

/** The injected wallet, or null when the browser has none. */
export function injectedWallet(): Eip1193Provider | null {
  return window.ethereum ?? null;
}

/** Asks the wallet for its account (the user approves in the wallet). */
export async function requestAccount(wallet: Eip1193Provider): Promise<string> {
  const accounts = (await wallet.request({ method: "eth_requestAccounts" })) as string[];
  const first = accounts[0];
  if (!first) throw new Error("The wallet shared no account");
  return first;
}

/** The wallet's current chain id (EIP-155), 1 when it does not say. */
export async function chainIdOf(wallet: Eip1193Provider): Promise<number> {
  try {
    const hex = (await wallet.request({ method: "eth_chainId" })) as string;
    const id = Number.parseInt(hex, 16);
    return Number.isSafeInteger(id) && id > 0 ? id : 1;
  } catch {
    return 1;
  }
}

/** EIP-191 personal_sign of exactly `message` by `address`. */
export async function personalSign(
  wallet: Eip1193Provider,
  address: string,
  message: string,
): Promise<string> {
  const hex = `0x${Array.from(new TextEncoder().encode(message), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("")}`;
  return (await wallet.request({ method: "personal_sign", params: [hex, address] })) as string;
}
