#!/usr/bin/env bash
# Sourced by the benchmark scripts: starts a throw-away PostgreSQL server (initdb into a temporary folder, a free
# port) and stops it on exit. Binaries from PATH or /usr/lib/postgresql/*/bin; as root it runs PostgreSQL as the
# postgres account (or nobody), because PostgreSQL refuses to run as root.
#   source bench/postgres-temp.sh; pg_temp_start DIR; ... "$PG_CONNECTION" ...; (stopped by the EXIT trap)
pg_temp_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
  else
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
  fi
}

pg_temp_run() {
  if [ "$(id -u)" -eq 0 ]; then
    local account=postgres
    id postgres >/dev/null 2>&1 || account=nobody
    runuser -u "$account" -- "$@"
  else
    "$@"
  fi
}

pg_temp_start() {
  PG_ROOT=$1
  PG_BIN=$(pg_temp_bin)
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL binaries not found" >&2; return 2; }
  PG_PORT=${PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
  mkdir -p "$PG_ROOT"
  if [ "$(id -u)" -eq 0 ]; then chown "$(id -u postgres 2>/dev/null || id -u nobody)" "$PG_ROOT"; fi
  pg_temp_run "$PG_BIN/initdb" -D "$PG_ROOT/data" -U carelake --auth=trust -E UTF8 --locale=C >/dev/null
  # Durable settings as a production server has them (fsync on); memory sized for a small machine.
  pg_temp_run "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -l "$PG_ROOT/postgres.log" -w \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_ROOT -c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=15min" start >/dev/null
  trap 'pg_temp_stop' EXIT
  PG_CONNECTION="Host=127.0.0.1;Port=$PG_PORT;Username=carelake;Database=carelake"
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U carelake -d postgres -qc "CREATE DATABASE carelake"
  export PG_ROOT PG_BIN PG_PORT PG_CONNECTION
}

pg_temp_psql() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U carelake -d carelake -X -q "$@"; }

pg_temp_stop() {
  [ -n "${PG_ROOT:-}" ] && [ -d "$PG_ROOT/data" ] && pg_temp_run "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -m fast -w stop >/dev/null 2>&1 || true
}
