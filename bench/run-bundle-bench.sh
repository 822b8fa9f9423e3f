#!/usr/bin/env bash
# Transaction-bundle ingest rate (issue F3): POSTs the 50 Synthea transaction bundles to an empty server, 1 at a time
# and PARALLEL at a time, with write validation off (Carelake:Validation=none) and with core validation. Each server
# gets the bundles 1 + WARM times: the first (cold) pass includes the JIT compiling the whole write path, the warm
# passes after it approach the steady state of a running server (the same bundles again: Synthea's entries are plain
# POSTs, so every pass stores them again — the same work). A fresh server is still tiering up its JIT (tiered PGO
# recompiles the hot path) during the first warm passes, so WARM=4 shows when it settles; the last warm pass is what
# a long-running server gives. Prints resources/s, the server's CPU time per resource and the bytes its SQLite writer
# thread wrote per resource (WAL frames: a figure the host's load does not change) and the CPU time of that thread (the
# one part that cannot use a second core) and of the full-text index's thread for each pass, and a summary line
# per server (best warm rate, CPU of the last warm pass). Authentication is off (--dev) on loopback.
# Stops what it starts.
#   bench/run-bundle-bench.sh [REPS]          env: BUNDLE_DIR, PARALLEL (4), PORT (18095), VALIDATIONS ("none core"),
#                                                  WARM (1), PARALLELS ("1 $PARALLEL"), AUDIT (on; "off" runs the
#                                                  servers with Carelake:Audit:DisabledForBenchmark, for the S2 check)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-3}
bundle_dir=${BUNDLE_DIR:-../shared/data/synthea/r4-transaction-bundles}
parallel=${PARALLEL:-4}
port=${PORT:-18095}
work=$(mktemp -d /tmp/carelake-bundle-bench.XXXXXX)
dotnet build -c Release src/Carelake -v q -nologo > /dev/null
carelake="dotnet src/Carelake/bin/Release/net10.0/Carelake.dll"
mapfile -t bundles < <(find "$bundle_dir" -maxdepth 1 -name '*.json' | sort)
resources=0
for f in "${bundles[@]}"; do resources=$((resources + $(jq '.entry | length' "$f"))); done
echo "${#bundles[@]} bundles, $resources resources, audit ${AUDIT:-on}; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

server=""
trap '[[ -n "$server" ]] && kill "$server" 2> /dev/null; rm -rf "$work"' EXIT
for validation in ${VALIDATIONS:-none core}; do
  for p in ${PARALLELS:-1 $parallel}; do
    for rep in $(seq 1 "$reps"); do
      data="$work/$validation-$p-$rep"
      env "Carelake__Validation=$validation" "Logging__LogLevel__Carelake.Http.RequestLogging=Warning" \
        "Carelake__Audit__DisabledForBenchmark=$([[ ${AUDIT:-on} == off ]] && echo true || echo false)" \
        $carelake serve --dev --data-dir "$data" --urls "http://127.0.0.1:$port" > "$work/server.log" 2>&1 &
      server=$!
      for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.1; done
      writer=$(grep -l '^sqlite-writer$' /proc/$server/task/*/comm | head -1 | cut -d/ -f5)
      # The full-text index's own thread (SqliteTextIndex), beside the writer.
      text=$(grep -l '^sqlite-text$' /proc/$server/task/*/comm | head -1 | cut -d/ -f5)
      rates=()
      for pass in cold $(seq -f 'warm%g' 1 "${WARM:-1}"); do
        cpu0=$(awk '{ print $14 + $15 }' "/proc/$server/stat")
        wrote0=$(awk '/^wchar/ { print $2 }' "/proc/$server/task/$writer/io")
        wcpu0=$(awk '{ print $14 + $15 }' "/proc/$server/task/$writer/stat")
        tcpu0=$( [[ -n $text ]] && awk '{ print $14 + $15 }' "/proc/$server/task/$text/stat" || echo 0)
        start=$(date +%s.%N)
        codes=$(printf '%s\n' "${bundles[@]}" | xargs -P "$p" -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 900 \
          -H 'Content-Type: application/fhir+json' -H 'Prefer: return=minimal' --data-binary @{} "http://127.0.0.1:$port/fhir")
        end=$(date +%s.%N)
        cpu1=$(awk '{ print $14 + $15 }' "/proc/$server/stat")
        wrote1=$(awk '/^wchar/ { print $2 }' "/proc/$server/task/$writer/io")
        wcpu1=$(awk '{ print $14 + $15 }' "/proc/$server/task/$writer/stat")
        tcpu1=$( [[ -n $text ]] && awk '{ print $14 + $15 }' "/proc/$server/task/$text/stat" || echo 0)
        ok=$(grep -c '^200$' <<< "$codes" || true)
        seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
        rate=$(awk -v n="$resources" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
        cpu=$(awk -v c="$((cpu1 - cpu0))" -v n="$resources" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", c / hz / n * 1e6 }')
        wcpu=$(awk -v c="$((wcpu1 - wcpu0))" -v n="$resources" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", c / hz / n * 1e6 }')
        tcpu=$(awk -v c="$((tcpu1 - tcpu0))" -v n="$resources" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", c / hz / n * 1e6 }')
        echo "validation=$validation parallel=$p rep=$rep $pass: $ok/${#bundles[@]} bundles ok in $seconds s = $rate resources/s, server CPU $cpu µs/resource, writer thread $wcpu µs and $(( (wrote1 - wrote0) / resources )) B/resource, text thread $tcpu µs, load $(cut -d' ' -f1 /proc/loadavg)"
        [[ $pass == cold ]] || rates+=("$rate")
      done
      echo "validation=$validation parallel=$p rep=$rep summary: warm passes ${rates[*]} resources/s (best $(printf '%s\n' "${rates[@]}" | sort -n | tail -1)), last warm pass CPU $cpu µs/resource"
      kill "$server"; wait "$server" 2> /dev/null || true; server=""
    done
  done
done
