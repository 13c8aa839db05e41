/**
 * Profiles the x402 paid-invoke path without writing the bench report: runs the `x402` section
 * (bench/x402.ts) at a small scale and prints its table. `BENCH_SCALE` sets the size (default
 * 0.1). Run: `node bin/run-ts.js bench/x402-profile.ts`.
 */
import { benchX402, x402Table } from "./x402.ts";

const scale = Number(process.env.BENCH_SCALE ?? "0.1");
const result = await benchX402(scale);
console.log(x402Table(result));
process.exit(0);
