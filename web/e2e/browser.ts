import { existsSync } from "node:fs";

/**
 * Debian's chromium, never a downloaded browser (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1). CHROMIUM_PATH overrides.
 * --no-sandbox because CI containers run as root, where Chromium's sandbox cannot start.
 */
export function chromiumLaunchOptions() {
  const executablePath = process.env.CHROMIUM_PATH ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
  if (!executablePath) throw new Error("Chromium not found: install Debian's chromium package (apt-get install -y chromium) or set CHROMIUM_PATH.");
  return { executablePath, args: ["--no-sandbox", "--disable-dev-shm-usage"] };
}
