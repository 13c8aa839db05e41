import { decimalToMinor, minorToDecimal } from "../kernel/money.ts";
import { PolicyFieldError } from "./fields.ts";
import { policyLimits } from "./limits.ts";
import type { PolicyPrice } from "./model.ts";

// ISO 4217 minor-unit exponents that differ from the usual 2.
const EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
const EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND";
const EXPONENT_4 = "CLF UYW";
const EXPONENTS = new Map<string, number>([
  ...EXPONENT_0.split(" ").map((code) => [code, 0] as const),
  ...EXPONENT_3.split(" ").map((code) => [code, 3] as const),
  ...EXPONENT_4.split(" ").map((code) => [code, 4] as const),
]);

/** Decimals of one minor unit of an ISO 4217 currency (USD 2, JPY 0, KWD 3). */
export function currencyDecimals(currency: string): number {
  return EXPONENTS.get(currency) ?? 2;
}

/** A price from upstream's `price`: whole minor units of `currency` (10 USD-minor = $0.10). */
export function priceFromMinor(amount_minor: bigint, currency: string | null): PolicyPrice {
  const decimals = currency === null ? 0 : currencyDecimals(currency);
  return {
    amount: minorToDecimal(amount_minor, decimals),
    amount_minor,
    decimals,
    currency,
    per: "request",
  };
}

const SYMBOL_CURRENCIES: Readonly<Record<string, string>> = { $: "USD", "€": "EUR", "£": "GBP" };

const SEED_PRICE =
  /^(?<symbol>[$€£])?(?<amount>(?:0|[1-9][0-9]*)(?:\.(?<fraction>[0-9]+))?)\s*\/\s*request$/;

/**
 * Reads the seed's `price: $0.001/request` into exact minor units. The decimals are those of
 * the text or of the currency, whichever are more, so "$0.001" keeps its tenth of a cent.
 */
export function parseSeedPrice(text: string, currency: string | null): PolicyPrice {
  const match = SEED_PRICE.exec(text.trim());
  if (match?.groups === undefined) {
    const message = 'Invalid field: price must look like "$0.001/request"';
    throw new PolicyFieldError(message, "/price");
  }
  const { symbol, amount = "", fraction = "" } = match.groups;
  const fromSymbol = symbol === undefined ? null : (SYMBOL_CURRENCIES[symbol] ?? null);
  if (fromSymbol !== null && currency !== null && fromSymbol !== currency) {
    const message = `Invalid field: price is in ${fromSymbol} but currency is ${currency}`;
    throw new PolicyFieldError(message, "/price");
  }
  if (fraction.length > policyLimits.price_decimals_max) {
    const most = policyLimits.price_decimals_max;
    throw new PolicyFieldError(`Invalid field: price has more than ${most} decimals`, "/price");
  }
  const code = currency ?? fromSymbol;
  const decimals = Math.max(fraction.length, code === null ? 0 : currencyDecimals(code));
  const amount_minor = decimalToMinor(amount, decimals);
  if (amount_minor === null)
    throw new PolicyFieldError("Invalid field: price is too large", "/price");
  return {
    amount: minorToDecimal(amount_minor, decimals),
    amount_minor,
    decimals,
    currency: code,
    per: "request",
  };
}

/** Writes a price the seed way: "$0.001/request" for USD, "0.50/request" otherwise. */
export function formatSeedPrice(price: PolicyPrice): string {
  return `${price.currency === "USD" ? "$" : ""}${price.amount}/request`;
}
