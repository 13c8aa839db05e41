import type { BrowserContext } from "playwright-core";
import type { Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";

/**
 * An EIP-1193 wallet for one browser context, backed by a viem local account in the test
 * process: the page gets `window.ethereum`; signing happens here, through an exposed binding,
 * so the private key never enters the page.
 */
export async function injectWallet(
  context: BrowserContext,
  account: PrivateKeyAccount,
  chainId = 1,
): Promise<void> {
  await context.exposeBinding("__agxTestWalletSign", async (_source, hexMessage: string) =>
    account.signMessage({ message: { raw: hexMessage as Hex } }),
  );
  // A string, not a function: the root tsconfig has no DOM types for page code.
  await context.addInitScript(`
    (() => {
      const address = ${JSON.stringify(account.address)};
      const chainId = ${JSON.stringify(`0x${chainId.toString(16)}`)};
      window.ethereum = {
        isAgxTestWallet: true,
        async request({ method, params }) {
          switch (method) {
            case "eth_requestAccounts":
            case "eth_accounts":
              return [address];
            case "eth_chainId":
              return chainId;
            case "personal_sign": {
              const [message, from] = params;
              if (String(from).toLowerCase() !== address.toLowerCase()) {
                throw Object.assign(new Error("unknown account"), { code: 4100 });
              }
              return window.__agxTestWalletSign(message);
            }
            default:
              throw Object.assign(new Error("unsupported method " + method), { code: 4200 });
          }
        },
      };
    })();
  `);
}
