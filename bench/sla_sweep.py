"""The SLA sweep when 1,000 tickets are due among all the open ones (issue 9), rolled back.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench_gen_1m DATA_DIR=var/bench-gen \
        .venv/bin/python bench/sla_sweep.py [--due 1000] [--repeat 3]

Finds the instant at which ``--due`` tickets have their next deadline check due (the
``next_deadline_at`` that ``bench.gen`` sets as the sweeper would), runs
``sla.services.sweep(now=that, limit=due)`` inside a transaction, and rolls it back.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campusdesk.settings")


class Rollback(Exception):
    pass


def main() -> None:
    import django

    django.setup()
    from django.db import transaction

    from campusdesk.sla import services as sla
    from campusdesk.tickets.models import OPEN_STATUSES, Ticket

    parser = argparse.ArgumentParser()
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    due = Ticket.objects.filter(next_deadline_at__isnull=False).order_by("next_deadline_at")
    moment = due.values_list("next_deadline_at", flat=True)[args.due - 1]
    open_count = Ticket.objects.filter(status__in=OPEN_STATUSES).count()
    now_due = due.filter(next_deadline_at__lte=moment).count()
    print(f"open tickets {open_count}, due at {moment}: {now_due}")
    timings = []
    for _n in range(args.repeat):
        try:
            with transaction.atomic():
                started = time.perf_counter()
                fired = sla.sweep(now=moment, limit=args.due)
                timings.append(time.perf_counter() - started)
                raise Rollback
        except Rollback:
            pass
    print(
        f"sweep: {fired} firings, median {statistics.median(timings):.2f} s "
        f"({', '.join(f'{t:.2f}' for t in timings)})"
    )


if __name__ == "__main__":
    main()
