import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startServer } from "./server";

const here = dirname(fileURLToPath(import.meta.url));

/** The SMART app's own origin (another port): its two pages and fhirclient's browser bundle, nothing else. */
async function startAppServer(): Promise<{ origin: string; server: Server }> {
  const files: Record<string, string> = {
    "/launch.html": join(here, "smart-app", "launch.html"),
    "/index.html": join(here, "smart-app", "index.html"),
    "/fhir-client.js": join(here, "..", "node_modules", "fhirclient", "build", "fhir-client.js"),
  };
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? "/", "http://app").pathname];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "Content-Type": file.endsWith(".js") ? "text/javascript" : "text/html; charset=utf-8" });
    response.end(readFileSync(file));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${port}`, server };
}

/**
 * Issue 6 acceptance: a SMART app on its own origin (fhirclient, not our code) against `serve --demo`. The app's
 * origin is allowed by CORS (Carelake:Auth:CorsOrigins) and the app registered as a public client through the admin
 * API, as an operator would. An admin token lets the setup look up patients and create EHR launches.
 */
export default async function smartSetup() {
  const app = await startAppServer();
  const adminToken = randomBytes(24).toString("hex");
  process.env.Carelake__Auth__CorsOrigins__0 = app.origin;
  const server = await startServer({ dev: false, demo: true, patients: 10, adminToken });
  const stop = async () => {
    await server.stop();
    await new Promise((resolve) => app.server.close(resolve));
  };
  try {
    await prepare(server.url, adminToken, app.origin);
  } catch (error) {
    await stop(); // a failed setup must not leave the server running
    throw error;
  }
  process.env.CARELAKE_E2E_URL = server.url;
  process.env.CARELAKE_E2E_ADMIN_TOKEN = adminToken;
  process.env.CARELAKE_E2E_APP_ORIGIN = app.origin;
  process.env.CARELAKE_E2E_CREDENTIALS = readFileSync(join(server.dataDir, "db", "demo-credentials.txt"), "utf8");
  return stop;
}

/** Registers the SMART app as an operator would and looks up the demo patients' ids. */
async function prepare(url: string, adminToken: string, appOrigin: string) {
  const admin = { Authorization: `Bearer ${adminToken}`, Accept: "application/json" };
  const registered = await fetch(`${url}/admin/clients`, {
    method: "POST",
    headers: { ...admin, "Content-Type": "application/json" },
    body: JSON.stringify({
      clientId: "carelake-smart-e2e",
      displayName: "SMART test app (fhirclient)",
      kind: "Public",
      redirectUris: [`${appOrigin}/index.html`],
      scopes: "openid fhirUser offline_access launch launch/patient patient/*.rs",
    }),
  });
  if (registered.status !== 201) throw new Error(`Registering the SMART app failed: ${registered.status} ${await registered.text()}`);
  const patients = await (await fetch(`${url}/fhir/Patient?_count=3&_elements=id`, { headers: { ...admin, Accept: "application/fhir+json" } })).json();
  process.env.CARELAKE_E2E_PATIENTS = patients.entry.map((e: { resource: { id: string } }) => e.resource.id).join(",");
}
