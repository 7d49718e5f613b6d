#!/usr/bin/env python3
"""Write the figures of one `make bench` run into bench/RESULTS.md.

    .venv/bin/python bench/summarize_both.py --size 100k --repeats 3 --plan default \
        --cd-db cd_bench_100k [--raw bench/results/raw] [--results bench/RESULTS.md] \
        [--timing setup=40,campusdesk=300,helpdesk=400] [--load-start "1.2 1.0 0.9"]

Reads the drive.py outputs labelled campusdesk/SIZE/sync2/rN and helpdesk/SIZE/sync2/rN in
--raw (bench/run_campusdesk.sh and bench/run_helpdesk.sh write them), takes the median of
each figure over the repeats of each system, and replaces the section of that size between
the ``make bench`` markers of RESULTS.md (sections of other sizes are kept, ordered by
size): versions of both stacks, the commands, the medians, each system's ratio to its own
bare-view ceiling (at the same concurrency) and campusdesk's ratio to django-helpdesk.
The full tables of every raw file are ../shared/bench/summarize.py's (results/summary.md).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- make bench: begin -->", "<!-- make bench: end -->"
SECTION = re.compile(
    r"<!-- bench size=(?P<size>\S+) -->\n.*?<!-- /bench size=(?P=size) -->\n", re.S
)
CD_PY = ROOT / ".venv/bin/python"
HD_PY = Path("/opt/bench-helpdesk/bin/python")
DRV_PY = Path("/opt/bench-driver/bin/python")
ORDER = [
    "ceiling_c1",
    "ceiling_c16",
    "detail_c1",
    "detail_c16",
    "list_first_c1",
    "list_first_c16",
    "list_deep_c1",
    "search_c1",
    "list_html_c1",
    "create_c1",
    "create_c16",
]
WHAT = {
    "ceiling": "bare view (ceiling)",
    "detail": "ticket page",
    "list_first": "staff list, first page",
    "list_deep": "staff list, page at 90 %",
    "search": "keyword search",
    "list_html": "list page shell",
    "create": "create (API POST)",
}
SYSTEMS = ("campusdesk", "helpdesk")


def size_key(size: str) -> int:
    mult = {"k": 1_000, "m": 1_000_000}.get(size[-1].lower(), 1)
    return int(size.rstrip("kKmM")) * mult


def med(values: list[Any]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v: float | None, nd: int = 1) -> str:
    if v is None:
        return "–"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.{nd}f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or not b:
        return "–"
    r = a / b
    if r < 0.01:
        return f"{r:.3f}"
    return f"{r:.2f}" if r < 10 else f"{r:.1f}" if r < 100 else f"{r:.0f}"


def versions(python: Path, packages: list[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, platform, sys\n"
        "out = {'python': platform.python_version()}\n"
        "for p in sys.argv[1:]:\n"
        "    try: out[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: out[p] = '–'\n"
        "print(json.dumps(out))\n"
    )
    try:
        done = subprocess.run(
            [str(python), "-c", code, *packages], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return {}
    return dict(json.loads(done.stdout))


def sh(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def load_runs(raw: Path, size: str) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {s: [] for s in SYSTEMS}
    for path in sorted(raw.glob("*.json")):
        try:
            run = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        parts = str(run.get("label", "")).split("/")
        if len(parts) == 4 and parts[0] in runs and parts[1] == size and parts[2] == "sync2":
            runs[parts[0]].append(run)
    return runs


def by_scenario(runs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        for s in run["scenarios"]:
            out.setdefault(s["scenario"], []).append(s)
    return out


def section(args: argparse.Namespace, runs: dict[str, list[dict[str, Any]]]) -> str:
    cd, hd = by_scenario(runs["campusdesk"]), by_scenario(runs["helpdesk"])
    names = [n for n in ORDER if n in cd or n in hd]
    names += sorted(n for n in {*cd, *hd} if n not in ORDER)

    def figures(ss: list[dict[str, Any]] | None) -> dict[str, Any]:
        if not ss:
            return {}
        return {
            "rps": med([s["rps"] for s in ss]),
            **{k: med([s[k] for s in ss]) for k in ("p50_ms", "p95_ms", "p99_ms")},
            "errors": sum(s["errors"] for s in ss),
            "capped": any(s["capped_by_time"] for s in ss),
            "conc": ss[0]["concurrency"],
            "request": ss[0]["request"],
        }

    def cell(f: dict[str, Any]) -> str:
        if not f:
            return "–"
        star = "\\*" if f["capped"] else ""
        err = f" ({f['errors']} err)" if f["errors"] else ""
        return (
            f"{fmt(f['rps'])}{star} · {fmt(f['p50_ms'])} / {fmt(f['p95_ms'])} / "
            f"{fmt(f['p99_ms'])}{err}"
        )

    rows = []
    for name in names:
        fc, fh = figures(cd.get(name)), figures(hd.get(name))
        conc = (fc or fh)["conc"]
        request = (fc or fh)["request"]
        ceil_c = figures(cd.get(f"ceiling_c{conc}")).get("rps")
        ceil_h = figures(hd.get(f"ceiling_c{conc}")).get("rps")
        rows.append(
            f"| `{name}` {WHAT.get(request, request)} | {conc} | {cell(fc)} "
            f"| {ratio(fc.get('rps'), ceil_c)} | {cell(fh)} | {ratio(fh.get('rps'), ceil_h)} "
            f"| **{ratio(fc.get('rps'), fh.get('rps'))}** |"
        )

    def mem(system: str) -> tuple[str, str, str]:
        hi, lo, drv = [], [], []
        for run in runs[system]:
            workers = [
                p["peak_rss_mib"] for p in run.get("server_mem") or [] if p["role"] == "worker"
            ]
            if workers:
                hi.append(max(workers))
                lo.append(min(workers))
            drv += [
                s["driver_cpu_pct"] for s in run["scenarios"] if s["scenario"].startswith("ceiling")
            ]
        return fmt(med(hi)), fmt(med(lo)), fmt(med(drv))

    vc = versions(CD_PY, ["campusdesk", "Django", "djangorestframework", "gunicorn", "psycopg"])
    vh = versions(
        HD_PY, ["django-helpdesk", "Django", "djangorestframework", "gunicorn", "psycopg"]
    )
    vd = versions(DRV_PY, ["aiohttp"])
    head = sh("git", "rev-parse", "--short", "HEAD")
    # changes to the code, not the figures this run writes (RESULTS.md, results/)
    dirty = subprocess.run(
        [
            "git",
            "diff-index",
            "--quiet",
            "HEAD",
            "--",
            ".",
            ":(exclude)bench/RESULTS.md",
            ":(exclude)bench/results",
        ],
        cwd=ROOT,
    ).returncode
    pg = sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version")
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "?",
    )
    mem_gib = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    n_cd = max((r.get("n_tickets") or 0 for r in runs["campusdesk"]), default=0)
    n_hd = max((r.get("n_tickets") or 0 for r in runs["helpdesk"]), default=0)
    plans = sorted({r["plan"] for s in SYSTEMS for r in runs[s]})
    started = min((r["started"] for s in SYSTEMS for r in runs[s]), default="?")
    timing = dict(kv.split("=", 1) for kv in args.timing.split(",") if "=" in kv)

    def mins(key: str) -> str:
        return f"{int(timing[key]) / 60:.1f} min" if key in timing else "?"

    size, rep, plan = args.size, args.repeats, args.plan
    hd_repo = "django-helpdesk " + vh.get("django-helpdesk", "?")
    extra = "" if plan == "default" else f" PLAN={plan}"
    out = [
        f"<!-- bench size={size} -->",
        f"### {size}: plan `{', '.join(plans) or plan}`, "
        f"{len(runs['campusdesk'])} + {len(runs['helpdesk'])} runs (started {started})",
        "",
        f"`make bench SIZE={size} REPEATS={rep}{extra}`; wall time {mins('total')} (set-up "
        f"{mins('setup')}, campusdesk runs {mins('campusdesk')}, django-helpdesk runs "
        f"{mins('helpdesk')}); load average at the start {args.load_start or '?'}.",
        "",
        "| | campusdesk | django-helpdesk |",
        "|---|---|---|",
        f"| code | campusdesk {vc.get('campusdesk', '?')} at `{head}`"
        f"{' with uncommitted changes' if dirty else ''} | {hd_repo}, "
        "site `../shared/bench/helpdesk_site` |",
        f"| Python / Django / DRF | {vc.get('python')} / {vc.get('Django')} / "
        f"{vc.get('djangorestframework')} | {vh.get('python')} / {vh.get('Django')} / "
        f"{vh.get('djangorestframework')} |",
        f"| gunicorn (2 sync workers) / psycopg | {vc.get('gunicorn')} / {vc.get('psycopg')} "
        f"| {vh.get('gunicorn')} / {vh.get('psycopg')} |",
        f"| database | `{args.cd_db}`, {n_cd:,} tickets (`bench.gen`) "
        f"| `helpdesk_{size}`, {n_hd:,} tickets (`dataset.py`, `bench_load`) |",
        "| sessions | Redis on 127.0.0.1:6379, written through to the database "
        "(`REDIS_URL`, as deployed; also the Huey queue) | the database "
        "(the shared site's settings) |",
        "| ceiling view | `/healthz` | `/bench/ok` |",
        "",
        f"Both: PostgreSQL {pg} on 127.0.0.1:5432 (default settings), the shared driver "
        f"`../shared/bench/drive.py` with aiohttp {vd.get('aiohttp', '?')} "
        f"(/opt/bench-driver), {sh('nproc')} × {cpu}, {mem_gib:.0f} GiB, one after the other.",
        "",
        "```bash",
        f"SIZE={size} CD_DB={args.cd_db} bash bench/setup_campusdesk.sh  "
        "# createdb, migrate, bench.gen, manifest",
        f"SIZE={size} bash bench/setup_helpdesk.sh  # venvs, role, createdb, migrate, bench_load",
        f"DB={args.cd_db} SIZE={size} REPEATS={rep} PLAN={plan} "
        "DRV=/opt/bench-driver/bin/python bash bench/run_campusdesk.sh",
        f"SIZE={size} REPEATS={rep} PLAN={plan} bash bench/run_helpdesk.sh",
        "```",
        "",
        "Median of the repeats; req/s · p50 / p95 / p99 ms. `÷ ceiling`: req/s over the same "
        "system's bare view at the same concurrency. Last column: campusdesk's req/s over "
        "django-helpdesk's. \\* = a run hit the scenario's time cap.",
        "",
        "| scenario | conc | campusdesk | ÷ ceiling | django-helpdesk | ÷ ceiling "
        "| campusdesk ÷ helpdesk |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        "| | largest worker peak RSS (MiB) | smallest worker | driver CPU % (ceiling) |",
        "|---|---|---|---|",
        "| campusdesk | {} | {} | {} |".format(*mem("campusdesk")),
        "| django-helpdesk | {} | {} | {} |".format(*mem("helpdesk")),
        "",
        f"<!-- /bench size={size} -->",
        "",
    ]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--plan", default="default")
    ap.add_argument("--cd-db", required=True)
    ap.add_argument("--raw", type=Path, default=ROOT / "bench/results/raw")
    ap.add_argument("--results", type=Path, default=ROOT / "bench/RESULTS.md")
    ap.add_argument("--timing", default="", help="name=seconds,... (setup, campusdesk, ...)")
    ap.add_argument("--load-start", default="")
    args = ap.parse_args()
    runs = load_runs(args.raw, args.size)
    if not runs["campusdesk"] or not runs["helpdesk"]:
        raise SystemExit(f"no runs of both systems at {args.size} in {args.raw}")
    new = section(args, runs)
    text = args.results.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{args.results} has no '{BEGIN}' … '{END}' markers")
    head, rest = text.split(BEGIN, 1)
    block, tail = rest.split(END, 1)
    sections = {m["size"]: m[0] for m in SECTION.finditer(block)}
    sections[args.size] = new
    body = "".join(sections[s] for s in sorted(sections, key=size_key))
    args.results.write_text(f"{head}{BEGIN}\n{body}{END}{tail}")
    print(f"{args.results}: section {args.size} written ({time.strftime('%H:%M:%S')})")


if __name__ == "__main__":
    main()
