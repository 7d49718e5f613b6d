"""Write the manifest of a database loaded by ``python -m bench.gen``, for ../shared/bench/drive.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench_gen DATA_DIR=var/bench-gen \
        .venv/bin/python bench/manifest.py --out bench/results/manifest_campusdesk_100k.json

Queues are the products (the ops specialist's queue of problems in progress, filtered by
product); the staff login is the first operations specialist, who sees every project.
Keywords are module names of the generated titles found in 1-3 % of the problems.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]  # campusdesk, and bench.gen
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campusdesk.settings")


PAGE = 25  # the list pages' size (tickets.views.PAGE_SIZE)


def main() -> None:
    import django

    django.setup()
    from django.db.models import Count, Q

    from bench.gen import words
    from bench.gen.load import PASSWORD
    from campusdesk.accounts.models import User
    from campusdesk.catalog.models import Product, Project
    from campusdesk.core import paging
    from campusdesk.tickets.models import Ticket

    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    started = time.perf_counter()
    total = Ticket.objects.count()
    products = Product.objects.annotate(
        open=Count("tickets", filter=Q(tickets__status="in_progress")), total=Count("tickets")
    ).order_by("id")
    queues = [{"key": p.code, "id": p.pk, "open": p.open, "total": p.total} for p in products]
    for queue in queues:  # the deep page, 90 % down the queue, is reached by its cursor
        skip = int(queue["open"] * 0.9) // PAGE * PAGE
        before_it = (
            Ticket.objects.filter(product_id=queue["id"], status="in_progress")
            .order_by("-created_at", "-id")[max(skip - 1, 0) : skip]
            .first()
        )
        queue["deep_after"] = paging.cursor_of(before_it) if before_it and skip else ""
    rng = random.Random(args.seed + 1)
    last = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    first = Ticket.objects.order_by("id").values_list("id", flat=True).first() or 0
    ticket_ids = sorted(rng.sample(range(first, last + 1), min(2000, total)))
    keywords = []
    for module in sorted({m for _n, _d, modules in words.PRODUCTS.values() for m in modules}):
        share = Ticket.objects.filter(title__contains=module).count() / max(total, 1)
        if 0.01 <= share <= 0.03:
            keywords.append(module)
    ops = User.objects.filter(role="ops").order_by("username").first()
    registrations = []
    for project in Project.objects.order_by("id")[:200]:
        customer = User.objects.filter(organisation_id=project.organisation_id, role="customer")
        first_customer = customer.order_by("id").first()
        if first_customer is not None:
            registrations.append([project.pk, first_customer.pk])
    manifest = {
        "system": "campusdesk",
        "n_tickets": total,
        "seed": args.seed,
        "queues": queues,
        "staff_user": ops.username if ops else "",
        "password": PASSWORD,
        "ticket_ids": ticket_ids,
        "keywords": keywords,
        "registrations": registrations,
        "seconds": round(time.perf_counter() - started, 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    print(f"{args.out}: {total} tickets, {len(keywords)} keywords, queues {queues}")


if __name__ == "__main__":
    main()
