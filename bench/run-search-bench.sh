#!/usr/bin/env bash
# Search latency benchmark: generates N patients, imports them, then runs the 20-query clinical mix with the load
# driver at 1 and 8 concurrent clients. Prints p50/p99 overall and per query line. Loopback only; stops what it starts.
#   bench/run-search-bench.sh [PATIENTS] [DURATION_SECONDS]      (≈ 92 resources per patient: 11000 ≈ 1M resources)
#   PROVIDER=postgres bench/run-search-bench.sh …   the same on a throw-away PostgreSQL server (bench/postgres-temp.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
patients=${1:-1100}
duration=${2:-20}
work=${WORK:-$(mktemp -d /tmp/carelake-search-bench.XXXXXX)}
port=${PORT:-18080}
provider=${PROVIDER:-sqlite}
mkdir -p "$work"
echo "work folder: $work, provider: $provider, load average $(cut -d' ' -f1-3 /proc/loadavg)"

dotnet build -c Release src/Carelake -v q -nologo >/dev/null
dotnet build -c Release bench/Carelake.LoadDriver -v q -nologo >/dev/null
carelake="dotnet src/Carelake/bin/Release/net10.0/Carelake.dll"

if [ ! -f "$work/gen/Patient.ndjson" ]; then
  $carelake generate --patients "$patients" --seed 42 --out "$work/gen" | tail -n 1
fi
storage=(--data-dir "$work/data")
if [ "$provider" = postgres ]; then
  source bench/postgres-temp.sh
  pg_temp_start "$work/pg"
  storage=(--database "$PG_CONNECTION")
  /usr/bin/time -f "import: %e s wall, %M KB peak" $carelake import "$work/gen" "${storage[@]}" | tail -n 1
  pg_temp_psql -c "VACUUM ANALYZE"
  pg_temp_psql -Atc "SELECT 'database size: ' || pg_size_pretty(pg_database_size('carelake'))"
elif [ ! -f "$work/data/carelake.db" ]; then
  /usr/bin/time -f "import: %e s wall, %M KB peak" $carelake import "$work/gen" "${storage[@]}" | tail -n 1
fi
[ "$provider" = postgres ] || du -sh "$work/data"
python3 bench/make-search-queries.py "$work/gen" "$work/queries.txt" 5

# The access log is switched off for the measurement (its cost is measured separately in docs/benchmarks.md).
env "Logging__LogLevel__Carelake.Http.RequestLogging=Warning" $carelake serve "${storage[@]}" --urls "http://127.0.0.1:$port" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; [ "$provider" != postgres ] || pg_temp_stop' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done

for clients in 1 8; do
  echo "== search mix, $clients client(s), ${duration}s"
  dotnet bench/Carelake.LoadDriver/bin/Release/net10.0/Carelake.LoadDriver.dll search \
    --base "http://127.0.0.1:$port/fhir" --queries "$work/queries.txt" --concurrency "$clients" \
    --duration "$duration" --warmup 5 --json "$work/search-$clients.json" | tee "$work/search-$clients.txt"
done
