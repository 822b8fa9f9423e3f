// Issue 6 acceptance: a SMART app that nobody on the team wrote — the fhirclient npm library, in Chromium, on its
// own origin — completes standalone and EHR launches against `serve --demo` through the server's real sign-in and
// consent pages, reads the patient in context, and is refused another patient. Runs with playwright.smart.config.ts.
import type { Page } from "@playwright/test";
import { expect, screenshot, test } from "./fixtures";

const appOrigin = () => process.env.CARELAKE_E2E_APP_ORIGIN!;
const fhirBase = () => `${process.env.CARELAKE_E2E_URL}/fhir`;
const patientIds = () => (process.env.CARELAKE_E2E_PATIENTS ?? "").split(",");

function account(role: "clinician" | "patient") {
  const line = (process.env.CARELAKE_E2E_CREDENTIALS ?? "").replace(/^\uFEFF/, "").split("\n").find((l) => l.startsWith(`${role} `));
  if (!line) throw new Error(`No '${role}' line in demo-credentials.txt`);
  const [username, password] = line.split(" ");
  return { username: username!, password: password! };
}

/** The server's own sign-in page, then its consent page (picking a patient when it asks for one). */
async function signInAndAllow(page: Page, role: "clinician" | "patient", pickPatient?: string) {
  await page.waitForURL((url) => url.origin === process.env.CARELAKE_E2E_URL && url.pathname === "/auth/login");
  const { username, password } = account(role);
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  await page.locator("#sign-in").click();
  await page.waitForURL((url) => url.pathname === "/auth/authorize");
  await expect(page.locator("#allow")).toBeVisible();
  await expect(page.locator("body")).toContainText("SMART test app (fhirclient)");
  if (pickPatient) await page.locator("#patient").fill(pickPatient);
  else await expect(page.locator("#patient")).toHaveCount(0);
  await page.locator("#allow").click();
  await page.waitForURL((url) => url.origin === appOrigin() && url.pathname === "/index.html");
  await expect(page.locator("#status")).toHaveText("Ready");
}

/** What the app's fhirclient gets back for a read it makes with its own token: "200" or the HTTP status. */
async function readAs(page: Page, path: string): Promise<string> {
  return page.evaluate(async (p) => {
    const client = (window as unknown as { smart: { request: (url: string) => Promise<unknown> } }).smart;
    try {
      await client.request(p);
      return "200";
    } catch (error) {
      return String((error as { status?: number }).status ?? (error as Error).message);
    }
  }, path);
}

test("standalone launch: a patient signs in and the app reads their own Patient, not another's", async ({ page }) => {
  await page.goto(`${appOrigin()}/launch.html?iss=${encodeURIComponent(fhirBase())}`);
  await signInAndAllow(page, "patient");
  const own = (await page.locator("#context-patient").textContent())!;
  expect(own).not.toBe("");
  await expect(page.locator("#fhir-user")).toHaveText(`Patient/${own}`);
  await expect(page.locator("#patient-read")).toHaveText(`Patient/${own}`);
  await expect(page.locator("#patient-name")).not.toBeEmpty();
  await expect(page.locator("#scope")).toContainText("patient/*.rs");
  await screenshot(page, "smart-01-standalone-patient");

  const other = patientIds().find((id) => id !== own)!;
  expect(await readAs(page, `Patient/${other}`)).toBe("403");
  // A search the token allows runs in the patient's compartment: asking for another patient's records finds none.
  const search = await page.evaluate(async (o) => {
    const client = (window as unknown as { smart: { request: (url: string) => Promise<{ entry?: { resource: { subject?: { reference?: string } } }[] }> } }).smart;
    try {
      const bundle = await client.request(`Observation?subject=Patient/${o}&_count=50`);
      return { status: "200", subjects: (bundle.entry ?? []).map((e) => e.resource.subject?.reference ?? "") };
    } catch (error) {
      return { status: String((error as { status?: number }).status ?? (error as Error).message), subjects: [] };
    }
  }, other);
  expect(search.status).toBe("200");
  expect(search.subjects.filter((subject) => subject !== `Patient/${own}`)).toEqual([]);
});

test("offline_access: fhirclient refreshes its token (rolling refresh) and keeps reading the patient in context", async ({ page }) => {
  const scope = "launch/patient openid fhirUser offline_access patient/*.rs";
  await page.goto(`${appOrigin()}/launch.html?iss=${encodeURIComponent(fhirBase())}&scope=${encodeURIComponent(scope)}`);
  await signInAndAllow(page, "patient");
  await expect(page.locator("#scope")).toContainText("offline_access");
  const own = (await page.locator("#context-patient").textContent())!;
  const refreshed = await page.evaluate(async (id) => {
    type Smart = { state: { tokenResponse: { access_token: string; refresh_token?: string } }; refresh: () => Promise<unknown>; request: (url: string) => Promise<{ id: string }> };
    // fhirclient's default: a public client's refresh carries no client_id (RFC 6749 section 6 allows that).
    const client = (window as unknown as { smart: Smart }).smart;
    const before = { ...client.state.tokenResponse };
    await client.refresh();
    const after = client.state.tokenResponse;
    const patient = await client.request(`Patient/${id}`);
    return {
      hadRefreshToken: !!before.refresh_token,
      newAccessToken: after.access_token !== before.access_token,
      newRefreshToken: !!after.refresh_token && after.refresh_token !== before.refresh_token,
      read: patient.id,
    };
  }, own);
  expect(refreshed).toEqual({ hadRefreshToken: true, newAccessToken: true, newRefreshToken: true, read: own });
});

test("standalone launch: a clinician picks the patient on the consent page and the app is bound to that one", async ({ page }) => {
  const [first, second] = patientIds();
  await page.goto(`${appOrigin()}/launch.html?iss=${encodeURIComponent(fhirBase())}`);
  await signInAndAllow(page, "clinician", second);
  await expect(page.locator("#context-patient")).toHaveText(second!);
  await expect(page.locator("#patient-read")).toHaveText(`Patient/${second}`);
  // The picked patient is granted as context: launch/patient and the patient/ scopes survive the narrowing.
  await expect(page.locator("#scope")).toContainText("launch/patient");
  await expect(page.locator("#scope")).toContainText("patient/*.rs");
  expect(await readAs(page, `Patient/${first}`)).toBe("403");
  await screenshot(page, "smart-02-standalone-clinician");
});

test("EHR launch: the EHR creates a launch for a patient, the app opens with it and gets that patient in context", async ({ page, request }) => {
  const [first, , third] = patientIds();
  const created = await request.post(`${process.env.CARELAKE_E2E_URL}/auth/launch`, {
    headers: { Authorization: `Bearer ${process.env.CARELAKE_E2E_ADMIN_TOKEN}` },
    data: { patient: third },
  });
  expect(created.status()).toBe(200);
  const { launch } = (await created.json()) as { launch: string };
  const scope = "launch openid fhirUser patient/*.rs";
  await page.goto(`${appOrigin()}/launch.html?iss=${encodeURIComponent(fhirBase())}&launch=${encodeURIComponent(launch)}&scope=${encodeURIComponent(scope)}`);
  await signInAndAllow(page, "clinician");
  await expect(page.locator("#context-patient")).toHaveText(third!);
  await expect(page.locator("#patient-read")).toHaveText(`Patient/${third}`);
  expect(await readAs(page, `Patient/${first}`)).toBe("403");
  await screenshot(page, "smart-03-ehr-launch");
});

test("a launch with an unknown launch id is refused by the server, not silently turned into a standalone launch", async ({ page }) => {
  const scope = "launch openid fhirUser patient/*.rs";
  await page.goto(`${appOrigin()}/launch.html?iss=${encodeURIComponent(fhirBase())}&launch=not-a-launch&scope=${encodeURIComponent(scope)}`);
  const { username, password } = account("clinician");
  await page.waitForURL((url) => url.pathname === "/auth/login");
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  await page.locator("#sign-in").click();
  // The server answers the app's redirect URI with an OAuth error; fhirclient reports it.
  await page.waitForURL((url) => url.origin === appOrigin());
  expect(new URL(page.url()).searchParams.get("error")).toBe("invalid_request");
  await expect(page.locator("#status")).toContainText("Failed");
});
