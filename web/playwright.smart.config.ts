import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./e2e/browser";

// Issue 6 acceptance: a third-party SMART client (the fhirclient npm library) launched in Chromium against
// `carelake serve --demo` with authentication on. Run by web/test.sh: `npx playwright test -c playwright.smart.config.ts`.
export default defineConfig({
  testDir: "e2e",
  testMatch: ["smart-app.spec.ts"],
  globalSetup: "./e2e/smart-setup.ts",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  outputDir: "test-results/smart-artifacts",
  reporter: [["list"], ["json", { outputFile: "test-results/smart-results.json" }]],
  use: {
    browserName: "chromium",
    headless: true,
    launchOptions: chromiumLaunchOptions(),
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
  },
});
