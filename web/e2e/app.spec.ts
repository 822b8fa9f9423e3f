import { KNOWN } from "./seed";
import { expect, screenshot, test } from "./fixtures";

test.describe("clinician views (server in --dev mode: no sign-in)", () => {
  test("search a patient by name, open the chart, see demographics, lists and encounters", async ({ page }) => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/patients$/);
    await expect(page.getByRole("heading", { name: "Find a patient" })).toBeVisible();
    await expect(page.locator("table.results tbody tr")).toHaveCount(20);
    await screenshot(page, "01-patient-search");

    await page.getByLabel("Name").fill(KNOWN.family.slice(0, 5));
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/name=Zebro/);
    const rows = page.locator("table.results tbody tr");
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(KNOWN.mrn);
    await expect(page.getByRole("heading", { name: /Results/ })).toContainText("1–1 of 1");

    await rows.first().getByRole("link", { name: `${KNOWN.given} ${KNOWN.family}`, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/patients/${KNOWN.patientId}`));
    await expect(page.getByRole("heading", { level: 1, name: `${KNOWN.given} ${KNOWN.family}` })).toBeVisible();
    await expect(page.getByRole("region", { name: "Demographics" })).toContainText(KNOWN.mrn);
    await expect(page.getByRole("region", { name: /Active conditions/ })).toContainText("Diabetes mellitus type 2");
  });

  test("a generated patient's chart shows every section and a vital-signs chart with data points", async ({ page, request }) => {
    // A generated patient with encounters: the first one the server lists.
    const bundle = await (await request.get("/fhir/Encounter?_count=1&_elements=subject")).json();
    const patientRef: string = bundle.entry[0].resource.subject.reference;
    await page.goto(`/patients/${patientRef.split("/")[1]}`);
    await expect(page.getByRole("heading", { level: 1 })).not.toHaveText("");
    for (const title of ["Demographics", /Active conditions/, /Medications/, /Allergies/, /Immunizations/, /Observations/, /Encounters/]) {
      await expect(page.getByRole("region", { name: title })).toBeVisible();
    }
    await expect(page.locator("ol.timeline > li").first()).toBeVisible();
    const chart = page.locator("svg.trend");
    await expect(chart).toBeVisible();
    // The first measure selected is a vital sign: its points are drawn as SVG circles at distinct positions.
    await expect(page.getByRole("region", { name: /Observations/ }).locator(".measure[aria-pressed=true]")).toBeVisible();
    const points = chart.locator("circle.point");
    await expect(points.first()).toBeAttached();
    const ys = await points.evaluateAll((cs) => cs.map((c) => Number(c.getAttribute("cy"))));
    expect(ys.every((y) => Number.isFinite(y) && y > 0)).toBe(true);
    await expect(chart).toHaveAttribute("aria-label", /values from/);
    await screenshot(page, "02-patient-chart");
  });

  test("a patient with 5,000 observations loads page by page, charts glucose with its reference range, stays responsive", async ({ page }) => {
    await page.goto(`/patients/${KNOWN.patientId}`);
    const obs = page.getByRole("region", { name: /Observations/ });
    await expect(obs.locator(".count")).toHaveText("5,000");
    await expect(obs.getByRole("status")).toHaveCount(0, { timeout: 45_000 });
    const heart = obs.getByRole("button", { name: /Heart rate/ });
    await expect(heart).toContainText("2500");
    // The chart draws at most 400 nodes per series; the table view has all 2,500 values.
    const chart = obs.locator("svg.trend");
    await expect(chart).toHaveAttribute("data-points", "2500");
    const drawn = await chart.locator("circle.point").count();
    expect(drawn).toBeGreaterThan(100);
    expect(drawn).toBeLessThanOrEqual(400);

    // The time range narrows the chart to the last year before the newest value (about 243 readings every 36 h).
    await obs.getByRole("group", { name: "Time range" }).getByRole("button", { name: "1 year" }).click();
    const lastYear = Number(await chart.getAttribute("data-points"));
    expect(lastYear).toBeGreaterThan(200);
    expect(lastYear).toBeLessThan(300);
    await obs.getByRole("group", { name: "Time range" }).getByRole("button", { name: "All" }).click();
    await expect(chart).toHaveAttribute("data-points", "2500");

    // Still responsive: switching measures is immediate.
    const started = Date.now();
    await obs.getByRole("button", { name: /Glucose/ }).click();
    await expect(obs.getByRole("button", { name: /Glucose/ })).toHaveAttribute("aria-pressed", "true");
    await expect(obs.locator("figcaption")).toContainText("reference range 70–99");
    // Generous for a shared CI machine; a frozen main thread takes far longer.
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(chart.locator("rect.ref-range")).toHaveCount(1);
    expect(await chart.locator("circle.out-of-range").count()).toBeGreaterThan(0);
    await expect(page).toHaveURL(/obs=/);
    await screenshot(page, "03-chart-5000-observations");
    await obs.getByRole("button", { name: /Show all 2500 values as a table/ }).click();
    await expect(obs.getByRole("region", { name: /values/ }).locator("tbody tr")).toHaveCount(2000);
  });

  test("every resource can be viewed as formatted JSON", async ({ page }) => {
    await page.goto(`/patients/${KNOWN.patientId}`);
    await page.getByRole("link", { name: /Patient resource as JSON/ }).click();
    await expect(page).toHaveURL(new RegExp(`/resources/Patient/${KNOWN.patientId}$`));
    const json = page.locator("pre.json");
    await expect(json).toContainText('"resourceType": "Patient"');
    await expect(json).toContainText(`"value": "${KNOWN.mrn}"`);
    // Formatted: one member per line, indented.
    expect((await json.textContent())!.split("\n").length).toBeGreaterThan(10);
    await screenshot(page, "04-resource-json");

    await page.goBack();
    await page.getByRole("region", { name: /Active conditions/ }).getByRole("link", { name: /View Condition/ }).click();
    await expect(page.locator("pre.json")).toContainText('"resourceType": "Condition"');
    await expect(page.getByRole("link", { name: "Patient chart" })).toHaveAttribute("href", `/patients/${KNOWN.patientId}`);
  });

  test("search by identifier and by birth date; page through results with next and previous", async ({ page }) => {
    await page.goto("/patients");
    await page.getByLabel("Identifier (MRN)").fill(KNOWN.mrn);
    await page.getByLabel("Identifier (MRN)").press("Enter");
    await expect(page.locator("table.results tbody tr")).toHaveCount(1);
    await expect(page.locator("table.results")).toContainText(KNOWN.family);

    await page.getByLabel("Identifier (MRN)").fill("");
    await page.getByLabel("Birth date").fill(KNOWN.birthDate);
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.locator("table.results tbody tr").first()).toContainText(KNOWN.family);

    await page.getByLabel("Birth date").fill("");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.getByRole("heading", { name: /Results/ })).toContainText("1–20 of 31");
    const firstPage = await page.locator("table.results tbody tr").first().textContent();
    await page.getByRole("button", { name: "Next →" }).click();
    await expect(page.getByRole("heading", { name: /Results/ })).toContainText("21–31 of 31");
    await expect(page.locator("table.results tbody tr")).toHaveCount(11);
    await expect(page.getByRole("button", { name: "Next →" })).toBeDisabled();
    await page.getByRole("button", { name: "← Previous" }).click();
    await expect(page.getByRole("heading", { name: /Results/ })).toContainText("1–20 of 31");
    await expect(page.locator("table.results tbody tr").first()).toHaveText(firstPage!);
  });

  test("a slow network shows loading states, then the data", async ({ page }) => {
    await page.route("**/fhir/Patient?**", async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.goto("/patients");
    await expect(page.getByRole("status")).toHaveText("Searching…");
    await expect(page.locator("table.results tbody tr").first()).toBeVisible();
    // A new search keeps the previous results visible (marked busy) until the answer arrives.
    await page.getByLabel("Name").fill(KNOWN.family);
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.locator(".table-wrap[aria-busy=true]")).toBeVisible();
    await expect(page.locator("table.results tbody tr")).toHaveCount(1);
    await expect(page.locator(".table-wrap")).toHaveAttribute("aria-busy", "false");
  });

  test("a 400 from the server shows its OperationOutcome message", async ({ page }) => {
    await page.goto("/patients");
    await page.getByLabel("Birth date").fill("notadate");
    await page.getByRole("button", { name: "Search" }).click();
    const alert = page.getByRole("alert");
    await expect(alert).toContainText("The search failed");
    await expect(alert).toContainText("HTTP 400");
    await expect(alert).toContainText("'notadate' is not a valid FHIR date for 'birthdate'");
    await expect(alert.getByRole("button", { name: "Try again" })).toHaveCount(0);
    await screenshot(page, "05-error-400");

    await page.goto("/patients/does-not-exist");
    await expect(page.getByRole("alert")).toContainText("HTTP 404");
  });
});

test.describe("administrator views", () => {
  test("system status: storage provider, counts per type, background jobs with progress", async ({ page, request }) => {
    const started = await request.post("/fhir/Organization/$reindex");
    expect(started.status()).toBe(202);
    await page.goto("/manage");
    await expect(page).toHaveURL(/\/manage\/status$/);
    await expect(page.getByRole("heading", { name: "System status" })).toBeVisible();
    await expect(page.getByTestId("storage-provider")).toHaveText("SQLite");
    await expect(page.getByTestId("audit-records")).toHaveText(/^[1-9][\d,]* · Audit trail$/);
    const counts = page.getByRole("region", { name: "Resource counts" });
    await expect(counts.getByRole("row", { name: /^Patient / })).toContainText("31");
    await expect(counts.getByRole("row", { name: /^Observation / })).toBeVisible();
    const jobs = page.getByRole("region", { name: "Background jobs" });
    await expect(jobs.locator(".jobs li").first()).toContainText("reindex");
    await expect(jobs.locator(".jobs li").first().locator(".badge")).toHaveText("completed", { timeout: 30_000 });
    await expect(jobs.locator("progress").first()).toBeVisible();
    await screenshot(page, "06-admin-status");
  });

  test("audit trail: the chart opened earlier shows up filtered by its patient, and each event opens", async ({ page }) => {
    await page.goto(`/patients/${KNOWN.patientId}`);
    await expect(page.getByRole("heading", { level: 1, name: `${KNOWN.given} ${KNOWN.family}` })).toBeVisible();

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Administration" }).click();
    await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Audit trail" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Audit trail" })).toBeVisible();
    await expect(page.locator("table.audit tbody tr").first()).toBeVisible();

    await page.getByLabel("Patient").fill(KNOWN.patientId);
    await page.getByLabel("Interaction").selectOption("read");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect(page).toHaveURL(new RegExp(`patient=${KNOWN.patientId}.*subtype=read|subtype=read.*patient=${KNOWN.patientId}`));
    const rows = page.locator("table.audit tbody tr");
    await expect(rows.first()).toBeVisible();
    // Every row names the patient; the chart's read of Patient/<id> by the dev user is among them.
    for (const row of await rows.all()) await expect(row).toContainText(`Patient/${KNOWN.patientId}`);
    await expect(rows.filter({ hasText: "anonymous/dev" }).first()).toBeVisible();
    await expect(rows.first().getByText("Success")).toBeVisible();
    await screenshot(page, "10-audit-trail");

    await rows.first().getByRole("link", { name: /^Details of the read event/ }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Audit event" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Records touched" })).toContainText(`Patient/${KNOWN.patientId}`);
    await expect(page.locator("pre.json")).toContainText('"resourceType": "AuditEvent"');
    await screenshot(page, "11-audit-event");

    // The chart links to the same view; the filter lives in the URL.
    await page.goto(`/patients/${KNOWN.patientId}`);
    await page.getByRole("link", { name: "Who accessed this record" }).click();
    await expect(page.getByLabel("Patient")).toHaveValue(`Patient/${KNOWN.patientId}`);
    await expect(page.locator("table.audit tbody tr").first()).toContainText(`Patient/${KNOWN.patientId}`);
  });

  test("audit trail: filters by outcome and date, pages through older events, explains a bad date range", async ({ page, request }) => {
    // A failed request (400) to find by outcome.
    expect((await request.get("/fhir/Patient?birthdate=notadate")).status()).toBe(400);
    await page.goto("/manage/audit?outcome=4");
    const rows = page.locator("table.audit tbody tr");
    await expect(rows.first()).toContainText("Failed");
    await expect(rows.filter({ hasText: "Success" })).toHaveCount(0);

    const today = new Date().toISOString().slice(0, 10);
    await page.goto(`/manage/audit?from=${today}&to=${today}&count=25`);
    await expect(rows).toHaveCount(25);
    await page.getByRole("button", { name: "Older →" }).click();
    await expect(page.getByRole("heading", { name: /Events/ })).toContainText("26–");
    await page.getByRole("button", { name: "← Newer" }).click();
    await expect(page.getByRole("heading", { name: /Events/ })).toContainText("1–25");

    await page.getByLabel("From (UTC)").fill("2026-02-01");
    await page.getByLabel("To (UTC)").fill("2026-01-01");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect(page.getByRole("alert")).toContainText("The end date is before the start date.");
  });

  test("a slow network: the audit trail and the safeguards report say they are loading, filtering keeps the rows busy", async ({ page }) => {
    const slow = async (route: import("@playwright/test").Route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    };
    await page.route("**/fhir/AuditEvent?**", slow);
    await page.route("**/admin/compliance", slow);
    await page.goto("/manage/audit");
    await expect(page.getByRole("status")).toHaveText("Reading the audit trail…");
    await expect(page.locator("table.audit tbody tr").first()).toBeVisible();
    await page.getByLabel("Interaction").selectOption("read");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect(page.locator(".table-wrap[aria-busy=true]")).toBeVisible();
    await expect(page.locator(".table-wrap")).toHaveAttribute("aria-busy", "false");
    for (const row of await page.locator("table.audit tbody tr").all()) await expect(row).toContainText("Read");
    await page.goto("/manage/safeguards");
    await expect(page.getByRole("status")).toHaveText("Running the checks…");
    await expect(page.locator("[data-check]").first()).toBeVisible();
  });

  test("safeguards report: every check with pass or fail, and what to do for the failures", async ({ page }) => {
    await page.goto("/manage/safeguards");
    await expect(page.getByRole("heading", { level: 1, name: "Safeguards report" })).toBeVisible();
    const checks = page.getByRole("list", { name: "Checks" }).getByRole("listitem");
    await expect(checks).toHaveCount(8);
    // --dev mode: authentication is off, so unique user identification fails, with its remediation.
    await expect(page.getByTestId("safeguards-summary")).toContainText(/\d+ of 8 checks fail/);
    const unique = page.locator("[data-check=unique-user-ids]");
    await expect(unique).toContainText("Fail");
    await expect(unique).toContainText("What to do:");
    await expect(unique).toContainText("Run without --dev");
    await screenshot(page, "12-safeguards");
  });

  test("users and clients need sign-in: in --dev mode the views say so", async ({ page }) => {
    await page.goto("/manage/users");
    await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
    await expect(page.getByText(/no user accounts to manage/)).toBeVisible();
    await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Clients" }).click();
    await expect(page.getByText(/no OAuth clients/)).toBeVisible();
  });
});

test.describe("layout, accessibility and routing", () => {
  test("a 320-px-wide screen: no sideways scrolling on search, chart, status, audit and safeguards pages", async ({ page }) => {
    await page.setViewportSize({ width: 320, height: 640 });
    for (const [path, name] of [
      ["/patients", "07-phone-search"],
      [`/patients/${KNOWN.patientId}`, "08-phone-chart"],
      ["/manage/status", "09-phone-admin"],
      [`/manage/audit?patient=${KNOWN.patientId}`, "13-phone-audit"],
      ["/manage/safeguards", "14-phone-safeguards"],
    ] as const) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      if (path.startsWith("/manage/audit")) await expect(page.locator("table.audit tbody tr").first()).toBeVisible();
      if (path === "/manage/safeguards") await expect(page.locator("[data-check]").first()).toBeVisible();
      if (path.startsWith("/patients/")) await expect(page.locator("svg.trend")).toBeVisible();
      if (path === "/patients") await expect(page.locator("table.results tbody tr").first()).toBeVisible();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${path} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
      await screenshot(page, name);
    }
  });

  test("keyboard only: skip link, search, open a chart, view JSON, with visible focus", async ({ page }) => {
    await page.goto("/patients");
    await expect(page.locator("table.results tbody tr").first()).toBeVisible();
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to main content" });
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await page.keyboard.press("Enter");
    // Into the form: Name is the first field of the main content.
    await page.keyboard.press("Tab");
    await expect(page.getByLabel("Name")).toBeFocused();
    const outline = await page.getByLabel("Name").evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).not.toBe("none");
    await page.keyboard.type(KNOWN.family);
    await page.keyboard.press("Enter");
    await expect(page.locator("table.results tbody tr")).toHaveCount(1);
    // Tab from the form to the result's link.
    const link = page.getByRole("link", { name: `${KNOWN.given} ${KNOWN.family}`, exact: true });
    for (let i = 0; i < 10 && !(await link.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
    await expect(link).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { level: 1, name: `${KNOWN.given} ${KNOWN.family}` })).toBeVisible();
    // Focus moved to the page content after navigation; the JSON link is reachable by Tab.
    const json = page.getByRole("link", { name: /Patient resource as JSON/ });
    for (let i = 0; i < 10 && !(await json.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
    await expect(json).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page.locator("pre.json")).toContainText('"resourceType": "Patient"');
  });

  test("keyboard only: the administration views through the navigation, filter the audit trail, open an event", async ({ page }) => {
    await page.goto("/patients");
    await expect(page.locator("table.results tbody tr").first()).toBeVisible();
    const tabTo = async (target: ReturnType<typeof page.getByRole>, max = 40) => {
      for (let i = 0; i < max && !(await target.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
      await expect(target).toBeFocused();
      expect(await target.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe("none");
    };
    await tabTo(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Administration" }));
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { level: 1, name: "System status" })).toBeVisible();
    for (const [link, heading] of [
      ["Safeguards", "Safeguards report"],
      ["Users", "Users"],
      ["Clients", "Clients"],
      ["Audit trail", "Audit trail"],
    ] as const) {
      await tabTo(page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: link }));
      await page.keyboard.press("Enter");
      await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    }
    await tabTo(page.getByLabel("Patient"));
    await page.keyboard.type(KNOWN.patientId);
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(new RegExp(`patient=${KNOWN.patientId}`));
    const details = page.locator("table.audit tbody tr").first().getByRole("link", { name: /^Details/ });
    await tabTo(details, 60);
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { level: 1, name: "Audit event" })).toBeVisible();
  });

  test("landmarks and labels: banner, navigation, main; every input labelled", async ({ page }) => {
    await page.goto("/patients");
    await expect(page.getByRole("banner")).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
    await expect(page.getByRole("main")).toBeVisible();
    await expect(page.getByRole("search", { name: "Patients" })).toBeVisible();
    const unlabelled = await page.locator("input").evaluateAll((inputs) => inputs.filter((i) => !(i as HTMLInputElement).labels?.length && !i.getAttribute("aria-label")).length);
    expect(unlabelled).toBe(0);
    await expect(page.locator("html")).toHaveAttribute("lang", "en");

    await page.goto("/manage/audit");
    await expect(page.getByRole("navigation", { name: "Administration" })).toBeVisible();
    await expect(page.getByRole("search", { name: "Audit events" })).toBeVisible();
    const fields = page.locator("main input, main select, main textarea");
    expect(await fields.count()).toBeGreaterThan(8);
    expect(await fields.evaluateAll((all) => all.filter((f) => !(f as HTMLInputElement).labels?.length && !f.getAttribute("aria-label")).map((f) => f.id))).toEqual([]);
  });

  test("client routes fall back to the app; API paths never do", async ({ page, request }) => {
    const deep = await request.get(`/patients/${KNOWN.patientId}`);
    expect(deep.status()).toBe(200);
    expect(deep.headers()["content-type"]).toContain("text/html");
    expect(deep.headers()["content-security-policy"]).toContain("script-src 'self'");

    const fhir404 = await request.get("/fhir/NoSuchType/1");
    expect(fhir404.status()).toBe(404);
    expect((await fhir404.json()).resourceType).toBe("OperationOutcome");
    expect((await request.get("/.well-known/smart-configuration")).status()).toBe(404);
    expect((await request.get("/api/nothing-here")).status()).toBe(404);
    expect((await request.get("/fhir/metadata")).headers()["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");

    // Content-hashed bundles are cached for a year; the page is revalidated; API answers are never stored.
    const index = await request.get("/manage/audit");
    expect(index.headers()["cache-control"]).toBe("no-cache");
    const script = (await index.text()).match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    expect(script).toBeTruthy();
    expect((await request.get(script!)).headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect((await request.get("/fhir/metadata")).headers()["cache-control"]).toBe("no-store");

    await page.goto("/no/such/page");
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  });
});
