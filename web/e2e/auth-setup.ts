import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "./server";

/**
 * `serve --demo` with authentication on: demo accounts admin, clinician and patient, their passwords in
 * <data-dir>/demo-credentials.txt ("username password role" per line). An admin token lets the setup look up
 * patient ids without signing in.
 */
export default async function authSetup() {
  const adminToken = randomBytes(24).toString("hex");
  // One browser signs in a dozen times within a few minutes (each sign-in is ~6 requests to the authorize, login and
  // token endpoints): above the default 30 per minute and address. The limit itself is tested in TokenValidationTests.
  const server = await startServer({ dev: false, demo: true, patients: 10, adminToken, env: { Carelake__Auth__RateLimitPerMinute: "600" } });
  const credentials = readFileSync(join(server.dataDir, "db", "demo-credentials.txt"), "utf8");
  const patients = await (await fetch(`${server.url}/fhir/Patient?_count=2&_elements=id`, { headers: { Authorization: `Bearer ${adminToken}`, Accept: "application/fhir+json" } })).json();
  process.env.CARELAKE_E2E_URL = server.url;
  process.env.CARELAKE_E2E_ADMIN_TOKEN = adminToken;
  process.env.CARELAKE_E2E_CREDENTIALS = credentials;
  process.env.CARELAKE_E2E_PATIENTS = patients.entry.map((e: { resource: { id: string } }) => e.resource.id).join(",");
  return async () => {
    await server.stop();
  };
}
