import pino, { type Logger, type LoggerOptions } from "pino";

export type { Logger };

/** Paths whose values never reach a log line: keys, tokens, signatures, secrets. */
export const redactedPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-agent-pairing-token"]',
  'req.headers["payment-signature"]',
  'req.headers["x-payment"]',
  "*.api_key",
  "*.secret",
  "*.password",
  "*.token",
  'req.headers["x-machine-agent-token"]',
  "*.agentToken",
  "*.pairingToken",
  "*.authToken",
  "*.x402_gas_key",
  "*.private_key",
];

/** Creates the process logger. `level: "silent"` in tests. */
export function createLogger(options: { level: string; pretty?: boolean }): Logger {
  const config: LoggerOptions = {
    level: options.level,
    redact: { paths: redactedPaths, censor: "[redacted]" },
    base: { service: "agx" },
  };
  return pino(config);
}
