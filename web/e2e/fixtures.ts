import { test as base, expect, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";

/** The server started by global-setup.ts. */
export const test = base.extend({
  baseURL: async ({}, use) => {
    const url = process.env.CARELAKE_E2E_URL;
    if (!url) throw new Error("CARELAKE_E2E_URL is not set: run through playwright.config.ts (global setup starts the server).");
    await use(url);
  },
});
export { expect };

/** Full-page screenshots of the main pages, kept as test artifacts in web/test-results/screenshots. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync("test-results/screenshots", { recursive: true });
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}
