"""Case library entries of a generated site, with their versions and search index terms.

The terms are ``kb.search.index_weights`` of each case, exactly what ``index_article``
stores, so the generated library is searched like one the experts wrote.
"""

# ruff: noqa: S311 - seeded pseudo-random data on purpose: the same seed, the same data

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from bench.gen import words
from bench.gen.people import World
from campusdesk.kb.models import Article, ArticleVersion, Term
from campusdesk.kb.search import index_weights

STATUS = (("published", 85), ("review", 5), ("draft", 5), ("archived", 5))


def _when(moment: int) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def _case(rng: random.Random, code: str) -> dict[str, Any]:
    module = rng.choice(words.PRODUCTS[code][2])
    obj, act, prob = (
        rng.choice(words.OBJECTS),
        rng.choice(words.ACTIONS),
        rng.choice(words.PROBLEMS),
    )
    role, error = rng.choice(words.ROLES), rng.choice(words.ERRORS)
    cause, fix = rng.randrange(len(words.CAUSES)), rng.randrange(len(words.FIXES))
    return {
        "title": rng.choice((f"{module}{obj}{act}{prob}", f"{role}{act}{module}{obj}时{prob}")),
        "symptoms": (
            f"{role}在“{module}”中{act}{obj}时{prob}，页面提示“{error}”。"
            f"常见于{rng.choice(words.BROWSERS)}或{rng.choice(words.ENVIRONMENTS)}。"
        ),
        "cause": f"{words.CAUSES[cause]}。",
        "solution": f"{words.FIXES[fix]}。如仍有问题，请登记问题并附上截图和日志。",
        "tags": [module, prob],
    }


def build(
    rng: random.Random,
    world: World,
    *,
    count: int,
    first: int,
    end: int,
    first_id: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of ``count`` cases, their first versions, and their index terms (the caller links
    the cases that came from a problem)."""
    articles, versions, terms = [], [], []
    codes = list(world.products)
    for n in range(count):
        code = codes[n % len(codes)] if n % 3 else codes[rng.randrange(min(4, len(codes)))]
        product = world.products[code]
        experts = world.experts[(product, 2)] + world.experts[(product, 3)]
        fields = _case(rng, code)
        status = rng.choices([s for s, _ in STATUS], [w for _, w in STATUS])[0]
        created = rng.randint(first, end - 3600)
        updated = created + rng.randint(0, 30 * 86400)
        updated = min(updated, end - 60)
        author = rng.choice(experts)
        pk = first_id + n
        articles.append(
            {
                "id": pk,
                **fields,
                "product_id": product,
                "visibility": "internal" if rng.random() < 0.15 else "public",
                "status": status,
                "author_id": author,
                "reviewer_id": rng.choice(experts) if status in ("published", "archived") else None,
                "source_ticket_id": None,
                "attachment": "",
                "attachment_name": "",
                "version": 1,
                "views": rng.randint(0, 500),
                "solved_count": rng.randint(0, 40),
                "created_at": _when(created),
                "updated_at": _when(updated),
                "published_at": _when(updated) if status in ("published", "archived") else None,
                "versions_from": "",
                "versions_to": "",
            }
        )
        versions.append(
            {
                "article_id": pk,
                "number": 1,
                "edited_by_id": author,
                "edited_at": _when(created),
                "note": "",
                **fields,
            }
        )
        weights = index_weights(Article(**fields))
        terms += [{"article_id": pk, "term": term, "weight": w} for term, w in weights.items()]
    return articles, versions, terms


MODELS = (Article, ArticleVersion, Term)
