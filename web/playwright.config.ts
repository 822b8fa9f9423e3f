import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./e2e/browser";

// The default run: every spec but auth.spec.ts and smart-app.spec.ts (their own configs), against a real `carelake serve --dev` with generated data
// (started by e2e/global-setup.ts on a free port with a temporary data folder).
export default defineConfig({
  testDir: "e2e",
  testIgnore: ["auth.spec.ts", "smart-app.spec.ts"],
  globalSetup: "./e2e/global-setup.ts",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  outputDir: "test-results/artifacts",
  reporter: [["list"], ["json", { outputFile: "test-results/e2e-results.json" }]],
  use: {
    browserName: "chromium",
    headless: true,
    launchOptions: chromiumLaunchOptions(),
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
  },
});
