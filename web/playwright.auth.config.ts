import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./e2e/browser";

// Sign-in tests against `carelake serve --demo` WITH authentication (the authorization server of issue S1).
// Run by web/test.sh after the default run: `npx playwright test -c playwright.auth.config.ts`.
export default defineConfig({
  testDir: "e2e",
  testMatch: ["auth.spec.ts"],
  globalSetup: "./e2e/auth-setup.ts",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  outputDir: "test-results/auth-artifacts",
  reporter: [["list"], ["json", { outputFile: "test-results/auth-results.json" }]],
  use: {
    browserName: "chromium",
    headless: true,
    launchOptions: chromiumLaunchOptions(),
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
  },
});
