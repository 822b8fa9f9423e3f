import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// `npm run dev` serves the app on :5173 and forwards API calls to a `carelake serve --dev` on :8080.
const api = process.env.CARELAKE_URL ?? "http://localhost:8080";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    proxy: {
      "/fhir": api,
      "/api": api,
      "/.well-known": api,
      "/connect": api,
    },
  },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
