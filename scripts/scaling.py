#!/usr/bin/env python3
"""Measure how time and memory grow with the population: `scorelab bench`
at 1M, 3M, 10M, 30M and 100M citizens, written to a CSV table and an SVG
plot (no third-party packages).

    python3 scripts/scaling.py [--binary target/release/scorelab] [--days 7] [--out docs/perf]

Each size runs in its own process, so peak memory is per size.
"""
import argparse
import csv
import json
import os
import subprocess
import sys

SIZES = [1_000_000, 3_000_000, 10_000_000, 30_000_000, 100_000_000]


def bench(binary, citizens, days):
    out = subprocess.run(
        [binary, "bench", "--citizens", str(citizens), "--days", str(days), "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def svg(rows, path):
    """Two log-log panels: seconds per workload, and peak memory, against citizens."""
    w, h, pad = 760, 330, 60
    xs = [r["citizens"] for r in rows]
    import math
    lx = lambda v: math.log10(v)
    x0, x1 = lx(min(xs)) - 0.1, lx(max(xs)) + 0.1

    def panel(ox, title, series, unit):
        ys = [v for _, vals, _ in series for v in vals if v > 0]
        y0, y1 = math.floor(lx(min(ys))), math.ceil(lx(max(ys)))
        if y1 == y0:
            y1 += 1
        pw, ph = w / 2 - pad - 20, h - 2 * pad
        px = lambda v: ox + pad + (lx(v) - x0) / (x1 - x0) * pw
        py = lambda v: pad + ph - (lx(v) - y0) / (y1 - y0) * ph
        out = [f'<text x="{ox + pad + pw / 2}" y="24" text-anchor="middle" font-size="14">{title}</text>',
               f'<rect x="{ox + pad}" y="{pad}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>']
        for e in range(y0, y1 + 1):
            y = py(10 ** e)
            out.append(f'<line x1="{ox + pad}" x2="{ox + pad + pw}" y1="{y}" y2="{y}" stroke="#eee"/>')
            out.append(f'<text x="{ox + pad - 6}" y="{y + 4}" text-anchor="end" font-size="11">1e{e}</text>')
        for v in xs:
            out.append(f'<text x="{px(v)}" y="{pad + ph + 16}" text-anchor="middle" font-size="11">{v // 1_000_000}M</text>')
        out.append(f'<text x="{ox + pad + pw / 2}" y="{h - 12}" text-anchor="middle" font-size="12">citizens</text>')
        out.append(f'<text x="{ox + 14}" y="{pad + ph / 2}" font-size="12" transform="rotate(-90 {ox + 14} {pad + ph / 2})" text-anchor="middle">{unit}</text>')
        for k, (name, vals, color) in enumerate(series):
            pts = " ".join(f"{px(x)},{py(y)}" for x, y in zip(xs, vals) if y > 0)
            out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
            out.extend(f'<circle cx="{px(x)}" cy="{py(y)}" r="3" fill="{color}"/>' for x, y in zip(xs, vals) if y > 0)
            out.append(f'<text x="{ox + pad + 8}" y="{pad + 16 + 15 * k}" font-size="11" fill="{color}">{name}</text>')
        return out

    body = panel(0, "time (log-log)", [
        ("population and friends graph", [r["population_s"] for r in rows], "#1f77b4"),
        ("day loop, per day", [r["day_loop_s"] / r["days"] for r in rows], "#d62728"),
        ("friends' term", [r["friends_s"] for r in rows], "#2ca02c"),
    ], "seconds")
    body += panel(w / 2, "memory (log-log)", [
        ("peak memory", [r["peak_bytes"] / 2**20 for r in rows], "#9467bd"),
        ("state (93.6 B/citizen)", [r["state_bytes"] / 2**20 for r in rows], "#8c564b"),
    ], "MiB")
    with open(path, "w") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif">\n')
        f.write("\n".join(body))
        f.write("\n</svg>\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default="target/release/scorelab")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--out", default="docs/perf")
    ap.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for n in [int(s) for s in a.sizes.split(",")]:
        print(f"bench at {n:,} citizens x {a.days} days ...", file=sys.stderr, flush=True)
        r = bench(a.binary, n, a.days)
        wl = {w["name"]: w for w in r["workloads"]}
        rows.append({
            "citizens": n,
            "days": a.days,
            "threads": r["threads"],
            "population_s": round(wl["population and friends graph"]["seconds"], 3),
            "day_loop_s": round(wl["day loop (metrics included)"]["seconds"], 3),
            "citizen_days_per_s": round(wl["day loop (metrics included)"]["rate"]),
            "friends_s": round(wl["weekly friends' term"]["seconds"], 4),
            "state_bytes": round(r["bytes_per_citizen"] * n),
            "peak_bytes": r["peak_memory_bytes"] or 0,
            "read_bandwidth_gb_s": round(r["memory_read_bytes_per_second"] / 1e9, 2),
            "commit": r["git_commit"],
        })
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    with open(os.path.join(a.out, "scaling.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    svg(rows, os.path.join(a.out, "scaling.svg"))
    print(f"wrote {a.out}/scaling.csv and {a.out}/scaling.svg", file=sys.stderr)


if __name__ == "__main__":
    main()
