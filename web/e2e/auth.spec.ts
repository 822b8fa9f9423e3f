// Sign-in through the built-in authorization server (authorization code + PKCE), roles, sign-out and idle logoff.
// Runs with playwright.auth.config.ts against `serve --demo` with authentication on; needs issue S1 merged.
import type { Page } from "@playwright/test";
import { expect, screenshot, test } from "./fixtures";

type Role = "admin" | "clinician" | "patient";
interface Account {
  username: string;
  password: string;
  /** The role the banner shows. */
  role: string;
}

function account(role: Role): Account {
  // (A byte-order mark may precede the first line.)
  const line = (process.env.CARELAKE_E2E_CREDENTIALS ?? "").replace(/^\uFEFF/, "").split("\n").find((l) => l.startsWith(`${role} `));
  if (!line) throw new Error(`No '${role}' line in demo-credentials.txt`);
  const [username, password] = line.split(" ");
  return { username: username!, password: password!, role: role === "admin" ? "administrator" : role };
}
const patientIds = () => (process.env.CARELAKE_E2E_PATIENTS ?? "").split(",");
const adminHeaders = () => ({ Authorization: `Bearer ${process.env.CARELAKE_E2E_ADMIN_TOKEN}` });

/** From the server's login page (when the server has no session yet) through its consent page back into the app. */
async function completeSignIn(page: Page, who: Account) {
  await page.waitForURL((url) => url.pathname.startsWith("/auth/"));
  if (page.url().includes("/auth/login")) {
    await page.locator("#username").fill(who.username);
    await page.locator("#password").fill(who.password);
    await page.locator("#sign-in").click();
  }
  // The consent page (explicit consent). The web app asks for no launch/patient, so there is no patient to pick:
  // a token with a patient in context could not read the audit trail.
  const allow = page.locator("#allow");
  await page.waitForURL((url) => url.pathname.startsWith("/auth/authorize") || !url.pathname.startsWith("/auth"));
  if (await allow.isVisible().catch(() => false)) {
    await expect(page.locator("#patient")).toHaveCount(0);
    await allow.click();
  }
  await expect(page.getByRole("banner")).toContainText(who.role);
}

/** From the app's sign-in screen through the server's login (and consent) pages back into the app. */
async function signIn(page: Page, who: Role | Account, path = "/") {
  await page.goto(path);
  await page.getByRole("button", { name: "Sign in" }).click();
  await completeSignIn(page, typeof who === "string" ? account(who) : who);
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
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Administration" }).click();
  await expect(page).toHaveURL(/\/manage\/status$/);
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
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Administration|Audit trail/ })).toHaveCount(0);
  await screenshot(page, "auth-04-patient-own-chart");

  await page.goto("/patients");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.goto("/manage/audit");
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

test("an administrator reads the audit trail of a chart opened earlier, by user name, and a reload keeps the view", async ({ page }) => {
  await signIn(page, "admin");
  const patient = patientIds()[1]!;
  await page.goto(`/patients/${patient}`);
  await expect(page.getByRole("heading", { level: 1 })).not.toBeEmpty();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Administration" }).click();
  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Audit trail" }).click();
  await page.getByLabel("Patient").fill(patient);
  // The user filter lists the accounts by name (the trail stores their ids). The list arrives after the page: until
  // then the filter is a text box, so wait for the option before reading the options.
  const adminOption = page.getByLabel("User").locator("option").filter({ hasText: /(^admin |\(admin\) )/ });
  await expect(adminOption).toHaveCount(1);
  const admin = await adminOption.getAttribute("value");
  expect(admin).toBeTruthy();
  await page.getByLabel("User").selectOption(admin!);
  await page.getByLabel("Interaction").selectOption("read");
  await page.getByRole("button", { name: "Apply filters" }).click();
  const rows = page.locator("table.audit tbody tr");
  await expect(rows.first()).toContainText(`Patient/${patient}`);
  await expect(rows.first()).toContainText("administrator");
  await expect(rows.first()).not.toContainText(admin!);
  await screenshot(page, "auth-06-admin-audit");

  // /manage is the app's, not the admin API's: a reload shows the same filtered view.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Audit trail" })).toBeVisible();
  await expect(page.locator("table.audit tbody tr").first()).toContainText(`Patient/${patient}`);
});

test("an administrator sees the safeguards report, manages users and clients; the pages fit a phone", async ({ page }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  await signIn(page, "admin");
  await page.goto("/manage/safeguards");
  await expect(page.locator("[data-check]")).toHaveCount(8);
  await expect(page.getByTestId("safeguards-summary")).toContainText(/checks (fail|pass)/);
  await expect(page.locator("[data-check=emergency-access]")).toContainText("Pass");
  await screenshot(page, "auth-07-safeguards");

  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Users" }).click();
  const users = page.getByRole("table", { name: "Users" });
  for (const name of ["admin", "clinician", "patient"]) await expect(users.getByRole("row", { name: new RegExp(`^${name}\\b`) }).first()).toBeVisible();
  const nurse = `nurse-${Date.now()}`;
  await page.getByRole("button", { name: "Add a user" }).click();
  await page.getByLabel("User name").fill(nurse);
  await page.getByLabel("Role").selectOption("clinician");
  await page.getByLabel("Initial password").fill("short");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("alert")).toContainText("at least 12 characters");
  await page.getByLabel("Initial password").fill("a long enough password");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("status").filter({ hasText: "was created" })).toContainText(nurse);
  const row = users.getByRole("row", { name: new RegExp(`^${nurse}`) });
  await expect(row).toContainText("Active");
  await row.getByRole("button", { name: `Disable ${nurse}` }).click();
  await expect(row).toContainText("Disabled");
  await row.getByRole("button", { name: `Enable ${nurse}` }).click();
  await expect(row).toContainText("Active");
  await screenshot(page, "auth-08-users");

  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Clients" }).click();
  const clients = page.getByRole("table", { name: "Clients" });
  await expect(clients.getByRole("row", { name: /carelake-web/ })).toContainText("this web app");
  const app = `e2e-app-${Date.now()}`;
  await page.getByRole("button", { name: "Register a client" }).click();
  await page.getByLabel("Client id").fill(app);
  await page.getByLabel("Redirect URIs").fill("https://app.example/callback");
  await page.getByRole("button", { name: "Register client" }).click();
  await expect(clients.getByRole("row", { name: new RegExp(app) })).toContainText("public");
  await screenshot(page, "auth-09-clients");
  await clients.getByRole("row", { name: new RegExp(app) }).getByRole("button", { name: `Remove ${app}` }).click();
  await expect(clients.getByRole("row", { name: new RegExp(app) })).toHaveCount(0);

  await page.setViewportSize({ width: 320, height: 640 });
  for (const path of ["/manage/users", "/manage/clients", "/manage/audit", "/manage/safeguards"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expect(page.locator("table tbody tr, [data-check]").first()).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${path} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
    await screenshot(page, `auth-10-phone-${path.split("/").pop()}`);
  }
});

test("an auditor sees the audit trail and nothing clinical", async ({ page, request }) => {
  const auditor: Account = { username: `auditor-${Date.now()}`, password: "an auditor's long password", role: "auditor" };
  const created = await request.post("/admin/users", { headers: adminHeaders(), data: { userName: auditor.username, password: auditor.password, role: "auditor" } });
  expect(created.status()).toBe(201);
  await signIn(page, auditor);
  await expect(page).toHaveURL(/\/manage\/audit$/);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Audit trail" })).toBeVisible();
  await expect(nav.getByRole("link", { name: /Patients|Administration/ })).toHaveCount(0);
  await expect(page.locator("table.audit tbody tr").first()).toBeVisible();
  await screenshot(page, "auth-11-auditor-audit");
  for (const path of ["/manage/users", "/manage/safeguards", "/patients"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  }
});

test("a clinician is not shown the administration views and cannot open them", async ({ page }) => {
  await signIn(page, "clinician", "/patients");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Patients" })).toBeVisible();
  await expect(nav.getByRole("link", { name: /Administration|Audit trail/ })).toHaveCount(0);
  await page.goto(`/patients/${patientIds()[0]}`);
  await expect(page.getByRole("link", { name: "Who accessed this record" })).toHaveCount(0);
  for (const path of ["/manage/audit", "/manage/status", "/manage/users"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  }
});

test("a session that ends while adding a user: after signing in again the form is back, without the password", async ({ page }) => {
  await signIn(page, "admin", "/manage/users");
  await page.getByRole("button", { name: "Add a user" }).click();
  await page.getByLabel("User name").fill("draft-user");
  await page.getByLabel("Display name (optional)").fill("Draft User");
  await page.getByLabel("Role").selectOption("auditor");
  await page.getByLabel("Initial password").fill("a long enough password");
  await page.route("**/admin/users", (route) =>
    route.request().method() === "POST" ? route.fulfill({ status: 401, contentType: "application/json", body: JSON.stringify({ error: "invalid_token", error_description: "expired" }) }) : route.continue(),
  );
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByText("Your session has ended. Sign in again to continue.")).toBeVisible();
  await page.unroute("**/admin/users");

  await page.getByRole("button", { name: "Sign in" }).click();
  await completeSignIn(page, account("admin"));
  await expect(page).toHaveURL(/\/manage\/users$/);
  await expect(page.getByText("What you entered before your session ended is back")).toBeVisible();
  await expect(page.getByLabel("User name")).toHaveValue("draft-user");
  await expect(page.getByLabel("Display name (optional)")).toHaveValue("Draft User");
  await expect(page.getByLabel("Role")).toHaveValue("auditor");
  await expect(page.getByLabel("Initial password")).toHaveValue("");
  // Never the password in storage.
  expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain("a long enough password");
});
