#!/usr/bin/env bash
# One round of the audit-overhead measurement (docs/benchmarks.md, "Audit overhead"): starts the server on an
# existing data folder, warms it up (tiered JIT: a 5 s warm-up still measures the compiler), runs the search mix and
# prints throughput and the server's CPU time per request (utime+stime from /proc, robust against a loaded machine).
#   bench/audit-bench-round.sh MODE DATA_DIR QUERIES [DURATION] [CLIENTS]     MODE: audited | fsync | off
# (audited: the default, read records written before the response and fsynced within 100 ms; fsync:
# Carelake:Audit:FsyncReadRecords=true, the response waits for the fsync; off: not audited, --dev only.)
# Env: WARM (warm-up seconds, default 30), PORT, BIN (Carelake.dll to run), PERF=1 (perf record -g, cpu-clock, of the
# measured part into $DATA_DIR/../perf-MODE.data; the server runs with DOTNET_PerfMapEnabled=1).
# Run the modes alternately, several rounds, and record the load average printed with each result.
set -u
cd "$(dirname "$0")/.."
mode=$1; data=$2; queries=$3; duration=${4:-20}; clients=${5:-8}
port=${PORT:-18191}; warm=${WARM:-30}
bin=${BIN:-src/Carelake/bin/Release/net10.0/Carelake.dll}
driver=bench/Carelake.LoadDriver/bin/Release/net10.0/Carelake.LoadDriver.dll
off=false; fsync=false
[ "$mode" = off ] && off=true
[ "$mode" = fsync ] && fsync=true
env DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 Carelake__Audit__DisabledForBenchmark=$off Carelake__Audit__FsyncReadRecords=$fsync \
  "Logging__LogLevel__Carelake.Http.RequestLogging=Warning" \
  dotnet "$bin" serve --dev --data-dir "$data" --urls "http://127.0.0.1:$port" > "$data/../server-$mode.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
cpu() { awk '{print $14+$15}' "/proc/$server/stat"; }
dotnet $driver search --base "http://127.0.0.1:$port/fhir" --queries "$queries" --concurrency "$clients" --duration "$warm" --warmup 2 >/dev/null
if [ -n "${PERF:-}" ]; then (perf record -e cpu-clock -g -p $server -o "$data/../perf-$mode.data" -- sleep $((duration - 2)) 2>/dev/null) & perfpid=$!; fi
c0=$(cpu)
dotnet $driver search --base "http://127.0.0.1:$port/fhir" --queries "$queries" --concurrency "$clients" --duration "$duration" --warmup 0 --json "$data/../search-$mode.json" >/dev/null
c1=$(cpu)
[ -n "${perfpid:-}" ] && wait $perfpid
python3 - "$data/../search-$mode.json" "$mode" "$((c1 - c0))" "$(getconf CLK_TCK)" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); ticks = int(sys.argv[3]); hz = int(sys.argv[4])
n = d["totalRequests"]
print(f"{sys.argv[2]:8s} {d['throughputRps']:7.0f} req/s  server CPU {ticks * 1000 / hz / max(n, 1):.2f} ms/request  ({n} requests, {ticks * 100 / hz / float(d['elapsedSeconds']):.0f} % of a core)  load {sys.argv[5]}")
PY
kill $server; wait $server 2>/dev/null
