// Sign-in through the built-in authorization server (authorization code + PKCE), roles, sign-out and idle logoff.
// Runs with playwright.auth.config.ts against `serve --demo` with authentication on; needs issue S1 merged.
import type { Page } from "@playwright/test";
import { expect, screenshot, test } from "./fixtures";

function account(role: "admin" | "clinician" | "patient") {
  // (A byte-order mark may precede the first line.)
  const line = (process.env.CARELAKE_E2E_CREDENTIALS ?? "").replace(/^\uFEFF/, "").split("\n").find((l) => l.startsWith(`${role} `));
  if (!line) throw new Error(`No '${role}' line in demo-credentials.txt`);
  const [username, password] = line.split(" ");
  return { username: username!, password: password! };
}
const patientIds = () => (process.env.CARELAKE_E2E_PATIENTS ?? "").split(",");

/** From the app's sign-in screen through the server's login (and consent) pages back into the app. */
async function signIn(page: Page, role: "admin" | "clinician" | "patient", path = "/") {
  await page.goto(path);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/auth\/login/);
  const { username, password } = account(role);
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  await page.locator("#sign-in").click();
  // The consent page (explicit consent); a clinician asking for launch/patient picks the patient in context.
  const allow = page.locator("#allow");
  await page.waitForURL((url) => url.pathname.startsWith("/auth/authorize") || !url.pathname.startsWith("/auth"));
  if (await allow.isVisible().catch(() => false)) {
    if (await page.locator("#patient").isVisible().catch(() => false)) await page.locator("#patient").fill(patientIds()[0]!);
    await allow.click();
  }
  await expect(page.getByRole("banner")).toContainText(role === "admin" ? "administrator" : role);
}

test("the app asks to sign in when authentication is on", async ({ page }) => {
  await page.goto("/patients");
  await expect(page.getByRole("heading", { name: "Carelake" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await screenshot(page, "auth-01-sign-in");
});

test("a clinician signs in (code + PKCE), searches, opens a chart with a bearer token, and signs out", async ({ page }) => {
  await signIn(page, "clinician", "/patients");
  await expect(page).toHaveURL(/\/patients$/);
  await expect(page.locator("table.results tbody tr").first()).toBeVisible();
  const request = page.waitForRequest((r) => r.url().includes("/fhir/Patient?") && r.url().includes("birthdate="));
  await page.getByLabel("Birth date").fill("ge1900");
  await page.getByRole("button", { name: "Search" }).click();
  expect((await request).headers()["authorization"]).toMatch(/^Bearer .+/);
  await page.locator("table.results tbody tr a").first().click();
  await expect(page.locator("svg.trend circle.point").first()).toBeVisible();
  await screenshot(page, "auth-02-clinician-chart");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  // Signed out for real: the tokens are gone from the tab.
  expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith("oidc.user")).length)).toBe(0);
});

test("an administrator sees the system status", async ({ page }) => {
  await signIn(page, "admin");
  await page.getByRole("link", { name: "System status" }).click();
  await expect(page.getByTestId("storage-provider")).not.toBeEmpty();
  await expect(page.getByRole("region", { name: "Resource counts" }).getByRole("row", { name: /^Patient / })).toBeVisible();
  await screenshot(page, "auth-03-admin-status");
});

test("a patient sees only their own chart", async ({ page }) => {
  await signIn(page, "patient");
  await expect(page).toHaveURL(/\/patients\/[^/]+$/);
  const own = decodeURIComponent(page.url().split("/patients/")[1]!);
  await expect(page.getByRole("heading", { level: 1 })).not.toBeEmpty();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Patients" })).toHaveCount(0);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My record" })).toBeVisible();
  await screenshot(page, "auth-04-patient-own-chart");

  await page.goto("/patients");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  const other = patientIds().find((id) => id !== own)!;
  await page.goto(`/patients/${other}`);
  await expect(page.getByRole("alert")).toContainText(/HTTP (403|404)/);
});

test("idle logoff: a warning with a countdown, 'Stay signed in' keeps the session, then it ends", async ({ page }) => {
  await page.addInitScript(() => window.localStorage.setItem("carelake.idleTimeoutSeconds", "8"));
  await signIn(page, "clinician");
  const dialog = page.getByRole("alertdialog", { name: "Are you still there?" });
  await expect(dialog).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole("button", { name: "Stay signed in" })).toBeFocused();
  await screenshot(page, "auth-05-idle-warning");
  await page.getByRole("button", { name: "Stay signed in" }).click();
  await expect(dialog).toBeHidden();
  await expect(dialog).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible({ timeout: 20_000 });
});

test("a session that ends mid-use (401) returns to the sign-in screen with the reason", async ({ page }) => {
  await signIn(page, "clinician", "/patients");
  await page.route("**/fhir/Patient?**", (route) => route.fulfill({ status: 401, contentType: "application/fhir+json", body: JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "login", diagnostics: "expired" }] }) }));
  await page.getByLabel("Name").fill("a");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByText("Your session has ended. Sign in again to continue.")).toBeVisible();
});
