#!/usr/bin/env node
// The agx command. TypeScript sources run through tsx's loader (see docs/decisions/0001).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
await main(process.argv);
