#!/usr/bin/env bash
# The web app's tests: Vitest unit tests, then Playwright end-to-end tests in Debian's headless Chromium against a
# real `carelake serve --dev` (e2e/global-setup.ts starts it), then the sign-in tests against `serve --demo` with
# authentication on (e2e/auth-setup.ts), then a third-party SMART app (fhirclient) launched against `serve --demo`
# (e2e/smart-setup.ts). Needs a built Carelake executable (CARELAKE_BIN, else
# ../src/Carelake/bin/{Release,Debug}). The last line is "web: N passed, N failed, N skipped" for ../test.sh.
set -uo pipefail
cd "$(dirname "$0")"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "web/test.sh: installing Debian's chromium for the browser tests" >&2
  if [ "$(id -u)" = 0 ]; then
    { apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; } >/dev/null 2>&1
  else
    { sudo -n apt-get install -y chromium || { sudo -n apt-get update && sudo -n apt-get install -y chromium; }; } >/dev/null 2>&1
  fi
fi
# The MSBuild target ran `npm ci` from the lockfile; this covers running the web tests on their own.
[ -d node_modules/@playwright/test ] || npm ci --no-audit --no-fund

rm -rf test-results
mkdir -p test-results
npx vitest run --reporter=default --reporter=json --outputFile=test-results/unit-results.json
unit_status=$?
npx playwright test
e2e_status=$?
# Sign-in, roles and session expiry against `serve --demo` with authentication on (its own server and config).
npx playwright test -c playwright.auth.config.ts
auth_status=$?
# Issue 6 acceptance: the fhirclient library's standalone and EHR launches (its own server, app origin and config).
npx playwright test -c playwright.smart.config.ts
smart_status=$?

node - "$unit_status" "$e2e_status" "$auth_status" "$smart_status" <<'JS'
const fs = require("node:fs");
const [unitStatus, e2eStatus, authStatus, smartStatus] = process.argv.slice(2).map(Number);
const read = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return undefined; } };
let passed = 0, failed = 0, skipped = 0;
const unit = read("test-results/unit-results.json");
if (unit) { passed += unit.numPassedTests; failed += unit.numFailedTests; skipped += unit.numPendingTests + unit.numTodoTests; }
if (unitStatus !== 0 && (!unit || unit.numFailedTests === 0)) failed += 1; // the runner itself failed
const e2e = read("test-results/e2e-results.json");
if (e2e) { passed += e2e.stats.expected + e2e.stats.flaky; failed += e2e.stats.unexpected; skipped += e2e.stats.skipped; }
if (e2eStatus !== 0 && (!e2e || e2e.stats.unexpected === 0)) failed += 1; // e.g. the server did not start
const auth = read("test-results/auth-results.json");
if (auth) { passed += auth.stats.expected + auth.stats.flaky; failed += auth.stats.unexpected; skipped += auth.stats.skipped; }
if (authStatus !== 0 && (!auth || auth.stats.unexpected === 0)) failed += 1;
const smart = read("test-results/smart-results.json");
if (smart) { passed += smart.stats.expected + smart.stats.flaky; failed += smart.stats.unexpected; skipped += smart.stats.skipped; }
if (smartStatus !== 0 && (!smart || smart.stats.unexpected === 0)) failed += 1;
console.log(`web: ${passed} passed, ${failed} failed, ${skipped} skipped`);
JS
[ "$unit_status" = 0 ] && [ "$e2e_status" = 0 ] && [ "$auth_status" = 0 ] && [ "$smart_status" = 0 ]
