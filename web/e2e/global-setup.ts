import type { FullConfig } from "@playwright/test";
import { startServer } from "./server";
import { seedKnownRecords } from "./seed";

/** One server for the whole run; the tests read its URL from CARELAKE_E2E_URL. */
export default async function globalSetup(_config: FullConfig) {
  const server = await startServer({ dev: true, patients: 30 });
  await seedKnownRecords(server.url);
  process.env.CARELAKE_E2E_URL = server.url;
  process.env.CARELAKE_E2E_DATA = server.dataDir;
  return async () => {
    await server.stop();
  };
}
