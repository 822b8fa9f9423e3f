#!/usr/bin/env bash
# Runs every test of Carelake: builds the solution and runs the xUnit suites against real SQLite files and real
# server processes, then the integration suite (tests/Carelake.Tests) again on PostgreSQL: the tests start their own
# PostgreSQL server (initdb into a temporary folder; binaries on PATH or under /usr/lib/postgresql/*/bin).
# Prints one closing line "N passed, N failed[, N skipped]" that counts both providers' runs.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK (dotnet) is required; see README.md." >&2
  exit 2
fi

if [ ! -d ../shared/data ]; then
  echo "test.sh: tests read the shared test material at ../shared/data (beside this repository)." >&2
  exit 2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet build Carelake.slnx -c Release -warnaserror 2>&1 | tail -n 3
set +e
echo "== SQLite (every suite)"
dotnet test Carelake.slnx -c Release --no-build --filter "Provider!=PostgresOnly" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Tests that read SQLite's own file or query plans carry the trait Provider=SqliteOnly (listed in docs/postgresql.md).
echo "== PostgreSQL (tests/Carelake.Tests without Provider=SqliteOnly)"
CARELAKE_TEST_PROVIDER=postgres dotnet test tests/Carelake.Tests -c Release --no-build --filter "Provider!=SqliteOnly" 2>&1 | tee -a "$log"
postgres_status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then status=$postgres_status; fi
set -e

# dotnet test prints one summary per test assembly; add them up into the one closing line CI reads.
awk '
  /(Passed|Failed)! +- +Failed: / {
    gsub(",", ""); for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") failed += $(i + 1);
      if ($i == "Passed:") passed += $(i + 1);
      if ($i == "Skipped:") skipped += $(i + 1);
    }
  }
  END { printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped }
' "$log"
exit "$status"
