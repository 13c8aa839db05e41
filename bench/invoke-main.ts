/** The paid invoke benchmark alone (as `BENCH_ONLY=invoke npm run bench`). */
import { benchInvoke, invokeTable } from "./invoke.ts";

const rows = await benchInvoke(Number(process.env.BENCH_SCALE ?? 1));
process.stdout.write(invokeTable(rows));
