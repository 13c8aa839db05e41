import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/** The console: a static build in web/dist that the hub serves at `/`. */
export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    // The hub's CSP allows no inline script; keep every module a file.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    fs: { allow: [fileURLToPath(new URL("..", import.meta.url))] },
    // `npm start` in one shell, `npx vite --config web/vite.config.ts` in another.
    proxy: Object.fromEntries(
      ["/api", "/ai-market", "/v1", "/problems", "/.well-known"].map((p) => [
        p,
        { target: process.env.AGX_URL ?? "http://127.0.0.1:8402", changeOrigin: false },
      ]),
    ),
  },
});
