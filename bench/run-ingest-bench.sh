#!/usr/bin/env bash
# Ingest benchmark (issue F4): the same generated NDJSON imported with `carelake import` into SQLite and into
# PostgreSQL, side by side in one run, and — as the physical limit — the same resource JSON loaded with a plain COPY
# into an un-indexed one-column table. Prints resources/s and Carelake's rate as a fraction of the COPY rate.
#   bench/run-ingest-bench.sh [PATIENTS]        (≈ 92 resources per patient: 1100 ≈ 100k resources)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/postgres-temp.sh
patients=${1:-1100}
work=${WORK:-$(mktemp -d /tmp/carelake-ingest-bench.XXXXXX)}
mkdir -p "$work"
echo "work folder: $work"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"

dotnet build -c Release src/Carelake -v q -nologo >/dev/null
carelake="dotnet src/Carelake/bin/Release/net10.0/Carelake.dll"
if [ ! -f "$work/gen/Patient.ndjson" ]; then
  $carelake generate --patients "$patients" --seed 42 --out "$work/gen" | tail -n 1
fi
resources=$(cat "$work"/gen/*.ndjson | wc -l)
echo "data: $resources resources, $(du -sh "$work/gen" | cut -f1) of NDJSON"

rate() { python3 -c "print(f'{$1/$2:,.0f}')"; }
seconds() { python3 -c "import time; print(time.time())"; }

rm -rf "$work/sqlite"
start=$(seconds)
$carelake import "$work/gen" --data-dir "$work/sqlite" | tail -n 1
sqlite_s=$(python3 -c "print($(seconds) - $start)")
echo "SQLite import: ${sqlite_s%.*} s, $(rate "$resources" "$sqlite_s") resources/s, $(du -sh "$work/sqlite" | cut -f1) on disk"

pg_temp_start "$work/pg"
echo "load average before PostgreSQL import: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(seconds)
$carelake import "$work/gen" --database "$PG_CONNECTION" | tail -n 1
pg_s=$(python3 -c "print($(seconds) - $start)")
pg_size=$(pg_temp_psql -Atc "SELECT pg_size_pretty(pg_database_size('carelake'))")
echo "PostgreSQL import: ${pg_s%.*} s, $(rate "$resources" "$pg_s") resources/s, $pg_size"

# The physical limit: the same JSON lines, one per row, into a table without indexes (text COPY with delimiter and
# quote characters that never occur in JSON, so each line is loaded verbatim).
pg_temp_psql -c "CREATE TABLE IF NOT EXISTS copy_limit (doc text)"
start=$(seconds)
cat "$work"/gen/*.ndjson | pg_temp_psql -c "COPY copy_limit FROM STDIN WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')"
copy_s=$(python3 -c "print($(seconds) - $start)")
echo "plain COPY into an un-indexed table: $(python3 -c "print(f'{$copy_s:.1f}')") s, $(rate "$resources" "$copy_s") resources/s"
echo "Carelake/PostgreSQL ingest rate as a fraction of plain COPY: $(python3 -c "print(f'{$copy_s/$pg_s:.2f}')")"
echo "Carelake/SQLite ingest rate as a fraction of plain COPY: $(python3 -c "print(f'{$copy_s/$sqlite_s:.2f}')")"
pg_temp_psql -c "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY pg_total_relation_size(oid) DESC LIMIT 8"

# Payload as bytea (what Carelake stores) against jsonb: size on disk, and the cost of getting the JSON text back.
echo "payload: bytea vs jsonb"
pg_temp_psql -c "CREATE TABLE payload_jsonb AS SELECT rid, convert_from(payload, 'UTF8')::jsonb AS doc FROM resource_version WHERE payload IS NOT NULL"
pg_temp_psql -c "VACUUM ANALYZE resource_version, payload_jsonb"
pg_temp_psql -Atc "SELECT 'bytea table: ' || pg_size_pretty(pg_total_relation_size('resource_version')) || ', jsonb table: ' || pg_size_pretty(pg_total_relation_size('payload_jsonb'))"
for expression in "sum(length(payload)) FROM resource_version" "sum(length(doc::text)) FROM payload_jsonb"; do
  start=$(seconds)
  pg_temp_psql -Atc "SELECT $expression" >/dev/null
  echo "  read every payload as text, $expression: $(python3 -c "print(f'{($(seconds) - $start) * 1000:.0f}')") ms"
done
