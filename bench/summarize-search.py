#!/usr/bin/env python3
"""Groups the load driver's per-query results (search --json) by query shape (the 20 shapes of the mix).

Usage: summarize-search.py RESULT.json [RESULT.json ...]  — prints a Markdown table: shape, requests, p50, p99 (ms)
(percentiles per shape are taken over the per-line medians/99th percentiles, weighted by request count).
"""
import json, re, sys

def shape(label):
    path, _, query = label.partition("?")
    keys = [p.split("=")[0] for p in query.split("&")]
    return path + "?" + "&".join(keys)

for file in sys.argv[1:]:
    data = json.load(open(file))
    groups = {}
    for row in data["breakdown"]:
        groups.setdefault(shape(row["label"]), []).append(row)
    print(f"\n{file}: {data['concurrency']} client(s), {data['throughputRps']:.0f} req/s, "
          f"p50 {data['latencyMs']['p50']:.2f} ms, p99 {data['latencyMs']['p99']:.2f} ms\n")
    print("| query shape | requests | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for key, rows in groups.items():
        n = sum(r["requests"] for r in rows)
        if n == 0:
            continue
        p50 = sum(r["latencyMs"]["p50"] * r["requests"] for r in rows if r["requests"]) / n
        p99 = max(r["latencyMs"]["p99"] for r in rows if r["requests"])
        print(f"| `{key}` | {n} | {p50:.2f} | {p99:.2f} |")
