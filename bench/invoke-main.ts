/** Runs the paid invoke benchmark alone: `BENCH_SCALE=0.1 node bin/run-ts.js bench/invoke-main.ts`. */
import { benchInvoke, invokeTable } from "./invoke.ts";

const rows = await benchInvoke(Number(process.env.BENCH_SCALE ?? 1));
process.stdout.write(invokeTable(rows));
