"""Where the time of a page goes: SQL queries (count, time, the slowest) and a pyinstrument
profile, in-process through Django's test client, logged in as the bench's staff user.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench_gen DATA_DIR=var/bench-gen \
    PYTHONPATH=var/bench-gen/driver/lib/python3.11/site-packages \
        .venv/bin/python bench/profile_pages.py \
        --manifest bench/results/manifest_campusdesk_100k.json \
        [--profile] [--only detail,list_first]

pyinstrument is not a dependency of campusdesk: install it in a separate virtualenv (here the
driver's) and put its site-packages on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campusdesk.settings")


def load_adapter() -> dict[str, Any]:
    """The campusdesk adapter of the shared driver (its request builders), read from its file."""
    spec = importlib.util.spec_from_file_location("adapter", ROOT / "bench/adapters/campusdesk.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ADAPTER  # type: ignore[no-any-return]


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from campusdesk.accounts.models import User

    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--only", default="detail,list_first,list_deep,search,create")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    manifest = json.loads(Path(args.manifest).read_text())
    requests = load_adapter()["requests"]
    client = Client()
    client.force_login(
        User.objects.get(username=manifest["staff_user"]),
        backend="campusdesk.accounts.backends.UserBackend",
    )
    for key in args.only.split(","):
        timings: list[float] = []
        last: Any = None
        for i in range(args.repeat):
            req = requests[key](manifest, 50_000 + i)
            call = getattr(client, req["method"].lower())
            kwargs: dict[str, Any] = {}
            if req.get("json") is not None:
                kwargs = {"data": json.dumps(req["json"]), "content_type": "application/json"}
            elif req.get("params"):
                kwargs = {"data": req["params"]}
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = call(req["path"], **kwargs)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code in req["expect"], (key, response.status_code)
            last = queries
        sql = sorted(last.captured_queries, key=lambda q: -float(q["time"]))
        total_sql = sum(float(q["time"]) for q in sql) * 1000
        print(
            f"\n== {key}: median {statistics.median(timings):.1f} ms, "
            f"{len(sql)} queries, {total_sql:.1f} ms in SQL (last request)"
        )
        for q in sql[:4]:
            print(f"   {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}")
        if args.profile:
            from pyinstrument import Profiler

            req = requests[key](manifest, 60_000)
            call = getattr(client, req["method"].lower())
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _n in range(3):
                if req.get("json") is not None:
                    call(req["path"], data=json.dumps(req["json"]), content_type="application/json")
                else:
                    call(req["path"], data=req.get("params") or {})
            profiler.stop()
            print(
                profiler.output_text(unicode=True, color=False, show_all=True, short_mode=False)[
                    :9000
                ]
            )


if __name__ == "__main__":
    main()
