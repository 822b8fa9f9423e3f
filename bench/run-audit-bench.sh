#!/usr/bin/env bash
# Audit overhead (issue S2): the search mix and NDJSON ingest, audited vs not, on SQLite. "Not audited" uses
# Carelake:Audit:DisabledForBenchmark, which the server and the CLI accept only together with --dev
# (Carelake__Dev=true); both runs are --dev so that authentication is off in both and only audit differs.
#   bench/run-audit-bench.sh [PATIENTS] [DURATION_SECONDS] [CLIENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
patients=${1:-300}
duration=${2:-20}
clients=${3:-8}
work=${WORK:-$(mktemp -d /tmp/carelake-audit-bench.XXXXXX)}
port=${PORT:-18090}
mkdir -p "$work"
echo "work folder: $work; machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

dotnet build -c Release src/Carelake -v q -nologo >/dev/null
dotnet build -c Release bench/Carelake.LoadDriver -v q -nologo >/dev/null
carelake="dotnet src/Carelake/bin/Release/net10.0/Carelake.dll"
[ -f "$work/gen/Patient.ndjson" ] || $carelake generate --patients "$patients" --seed 42 --out "$work/gen" | tail -n 1
resources=$(cat "$work"/gen/*.ndjson | wc -l)
python3 bench/make-search-queries.py "$work/gen" "$work/queries.txt" 5
seconds() { python3 -c "import time; print(time.time())"; }

for round in 1 2; do
  for mode in audited not-audited; do
    off=$([ "$mode" = audited ] && echo false || echo true)
    rm -rf "$work/data-$mode"
    start=$(seconds)
    Carelake__Dev=true Carelake__Audit__DisabledForBenchmark=$off $carelake import "$work/gen" --data-dir "$work/data-$mode" | tail -n 1
    echo "ingest ($mode, round $round): $(python3 -c "print(f'{$resources/($(seconds) - $start):,.0f}')") resources/s"
  done

  # audited: the default (read records written before the response, fsynced within 100 ms);
  # audited-fsync: Carelake:Audit:FsyncReadRecords=true (the response waits for the fsync).
  for mode in audited audited-fsync not-audited; do
    off=$([ "$mode" = not-audited ] && echo true || echo false)
    fsync=$([ "$mode" = audited-fsync ] && echo true || echo false)
    env Carelake__Audit__DisabledForBenchmark=$off Carelake__Audit__FsyncReadRecords=$fsync "Logging__LogLevel__Carelake.Http.RequestLogging=Warning" \
      $carelake serve --dev --data-dir "$work/data-audited" --urls "http://127.0.0.1:$port" > "$work/server-$mode.log" 2>&1 &
    server=$!
    for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
    dotnet bench/Carelake.LoadDriver/bin/Release/net10.0/Carelake.LoadDriver.dll search \
      --base "http://127.0.0.1:$port/fhir" --queries "$work/queries.txt" --concurrency "$clients" \
      --duration "$duration" --warmup 5 --json "$work/search-$mode-$round.json" > "$work/search-$mode-$round.txt"
    echo "search mix ($mode, round $round, $clients clients, ${duration}s): $(python3 -c "import json; d=json.load(open('$work/search-$mode-$round.json')); print(round(d['throughputRps']))") req/s; load $(cut -d' ' -f1 /proc/loadavg)"
    kill "$server"; wait "$server" 2>/dev/null || true
  done
done
