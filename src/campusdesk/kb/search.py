"""Search of the case library that understands Chinese, the same on SQLite and PostgreSQL.

No full-text engine of either database: ``index_article`` keeps one ``Term`` row per
(case, term) with a weight, and ``search`` adds up the weights of the query's terms,
each scaled by how rare the term is (BM25's idf).

Terms are jieba's words (``cut_for_search``) plus every pair of neighbouring Chinese
characters, so 成绩录入报错 meets 录入成绩时系统报错 whatever either segmentation did,
plus English words and version numbers (Tomcat, OutOfMemoryError, 19c, 11.2.0.4).
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from campusdesk.catalog import scoping
from campusdesk.kb.models import Article, Term

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from campusdesk.accounts.models import User

MAX_TERM_LENGTH = 40  # Term.term's max_length
#: How many of a query's terms are looked up, rarest first: typing a whole paragraph
#: into the registration form must not turn into a scan of half the index.
MAX_QUERY_TERMS = 12
#: How many index rows one ranking may read (see ``_query_factors``): about 25 ms on SQLite.
MAX_POSTINGS = 12_000
#: Longer queries are cut: the form sends title and symptoms as the user types.
MAX_QUERY_CHARS = 400
#: Field weights: a word in the title or tags says more about a case than one in its solution.
FIELD_WEIGHTS = (
    ("title", 3.0),
    ("symptoms", 2.0),
    ("tags", 3.0),
    ("cause", 1.0),
    ("solution", 1.0),
)
#: A stored weight is raw / (raw + SATURATION), in (0, 1): a term's share of the score
#: grows with where and how often it appears but never outweighs the other query terms.
SATURATION = 2.0
#: The weight of a bigram that is not also a word of jieba's (see ``terms``).
BIGRAM_WEIGHT = 0.25
SUGGESTIONS = 5
#: A term whose factor is below this share of the query's best one is not looked up: a word
#: of nearly every case (页面 in a library of web-system cases) reads a row per case and
#: moves no score (idf ≈ 0).
NEGLIGIBLE = 0.01

#: Characters that, standing alone, join words rather than carry meaning (时 in 录入成绩时,
#: not in 超时); Chinese bigrams never span them.
CJK_STOP_CHARS = frozenset("的了时在是和与或及等着过也都就把被吗呢吧啊呀后前中里")
_CHINESE_STOP_WORDS = """
我们 你们 他们 这个 那个 这些 那些 一个 什么 怎么 怎么办 怎样 如何 为什么 时候
一直 总是 还是 已经 然后 但是 因为 所以 如果 可以 可能 需要 请问 谢谢 您好 你好
"""
_ENGLISH_STOP_WORDS = """
an the of to is are was were be been in on at by for and or not no with from as it its
this that these those we you he she they my our your can could how what why when which
do does did has have had will would should after before into
"""
#: Function words and the filler of a typed question (怎么办, 一直, how, the).
STOP_WORDS = frozenset(_CHINESE_STOP_WORDS.split() + _ENGLISH_STOP_WORDS.split())

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_VERSION = re.compile(r"\d+(?:\.\d+)+[a-z]?")


class Suggestion(TypedDict):
    id: int
    title: str
    score: float
    url: str


@cache
def _jieba() -> Any:
    """jieba, loaded on first use (its dictionary ships in the package: ~0.6 s, no download)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _phrases(tokens: Iterable[str]) -> Iterator[str]:
    """Runs of jieba tokens between stop words: the stretches whose bigrams mean something."""
    phrase: list[str] = []
    for token in tokens:
        if token in STOP_WORDS or token in CJK_STOP_CHARS:
            yield "".join(phrase)
            phrase = []
        else:
            phrase.append(token)
    yield "".join(phrase)


def _cjk_terms(run: str) -> tuple[Counter[str], Counter[str]]:
    """jieba's words of one run of Chinese characters, and its character bigrams."""
    jieba = _jieba()
    words: Iterable[str] = jieba.cut_for_search(run)
    # Bigrams come from jieba's own tokens so that 时 splits 录入成绩时系统报错 but not 超时.
    tokens: Iterable[str] = jieba.cut(run)
    return (
        Counter(w for w in words if len(w) > 1 and w not in STOP_WORDS),
        Counter(p[i : i + 2] for p in _phrases(tokens) for i in range(len(p) - 1)),
    )


def _ascii_terms(text: str) -> Counter[str]:
    words = [w for w in _ASCII_WORD.findall(text) if len(w) > 1 and w not in STOP_WORDS]
    return Counter(words + _VERSION.findall(text))


def terms(text: str) -> dict[str, float]:
    """The search terms of ``text``, each weighted 1 + ln(how often it occurs).

    Lower-cased and NFKC-normalised (full-width Ｔｏｍｃａｔ is tomcat); stop words,
    punctuation and single Chinese characters dropped; terms cut to 40 characters.
    A bigram that is not also one of jieba's words (入成 of 录入成绩) counts a quarter:
    it is there to bridge segmentations, and is as often noise (生成 of 学生成绩).
    """
    text = unicodedata.normalize("NFKC", text).lower()
    words = _ascii_terms(_CJK_RUN.sub(" ", text))
    bigrams: Counter[str] = Counter()
    for run in _CJK_RUN.findall(text):
        run_words, run_bigrams = _cjk_terms(run)
        words.update(run_words)
        bigrams.update(run_bigrams)
    weights: dict[str, float] = {}
    for term in [*words, *(b for b in bigrams if b not in words)]:
        # A two-character word is also a bigram at the same place: count it once.
        weight = 1.0 + math.log(max(words[term], bigrams[term]))
        if term not in words:
            weight *= BIGRAM_WEIGHT
        key = term[:MAX_TERM_LENGTH]
        weights[key] = max(weights.get(key, 0.0), weight)
    return weights


def _article_text(article: Article, field: str) -> str:
    value = getattr(article, field)
    if field == "tags":
        return " ".join(str(tag) for tag in value or ())
    return str(value or "")


def index_weights(article: Article) -> dict[str, float]:
    """The weight of each term of ``article``: fields weighted, then saturated into (0, 1)."""
    raw: dict[str, float] = defaultdict(float)
    for field, factor in FIELD_WEIGHTS:
        for term, weight in terms(_article_text(article, field)).items():
            raw[term] += factor * weight
    return {term: value / (value + SATURATION) for term, value in raw.items()}


def index_article(article: Article) -> int:
    """Recompute ``article``'s search terms; returns how many there are."""
    rows = [
        Term(article_id=article.pk, term=term, weight=weight)
        for term, weight in index_weights(article).items()
    ]
    with transaction.atomic():
        Term.objects.filter(article_id=article.pk).delete()
        Term.objects.bulk_create(rows)
    return len(rows)


def _idf(document_frequency: int, total: int) -> float:
    """BM25's inverse document frequency: positive, larger for rarer terms."""
    return math.log(1.0 + (total - document_frequency + 0.5) / (document_frequency + 0.5))


def _query_factors(query: str) -> dict[str, float]:
    """Query term → its weight in the query × its idf, for the terms worth looking up.

    1. Only terms some case has; rarest (highest factor) first.
    2. At most MAX_QUERY_TERMS, and no more index rows than MAX_POSTINGS in all: the
       ranking reads one row per (case, term), so a common term costs thousands of rows
       while its idf adds little; a term under NEGLIGIBLE of the best factor is left out.
       The rarest term is always kept.
    """
    wanted = terms(query[:MAX_QUERY_CHARS])
    if not wanted:
        return {}
    frequency: dict[str, int] = dict(
        Term.objects.filter(term__in=wanted)
        .values("term")
        .annotate(n=Count("*"))  # not COUNT(id): PostgreSQL answers from the index alone
        .values_list("term", "n")
    )
    if not frequency:
        return {}
    total = max(Article.objects.count(), 1)
    factors = {t: wanted[t] * _idf(n, total) for t, n in frequency.items()}
    chosen: dict[str, float] = {}
    postings = 0
    floor = NEGLIGIBLE * max(factors.values())
    for term in sorted(factors, key=lambda t: (-factors[t], t)):
        if chosen and (postings + frequency[term] > MAX_POSTINGS or factors[term] < floor):
            continue
        chosen[term] = factors[term]
        postings += frequency[term]
        if len(chosen) == MAX_QUERY_TERMS:
            break
    return chosen


def _findable(user: User, statuses: Sequence[str]) -> QuerySet[Article] | None:
    """The cases ``user`` may find; None when none."""
    articles = Article.objects.filter(status__in=list(statuses))
    if user.is_vendor_staff:
        return articles
    # Customers read published public cases of the products their organisation runs. The
    # products are read first: as a literal list PostgreSQL estimates the cases right and
    # starts from the query's terms (40 ms → 9 ms at 10,000 cases), not from the cases.
    products = list(scoping.visible_products(user).values_list("id", flat=True))
    if not products:
        return None
    return articles.filter(
        status=Article.Status.PUBLISHED,
        visibility=Article.Visibility.PUBLIC,
        product_id__in=products,
    )


def search(
    query: str,
    *,
    user: User | AnonymousUser,
    product_id: int | None = None,
    limit: int = 20,
    statuses: Sequence[str] = (Article.Status.PUBLISHED,),
) -> list[tuple[Article, float]]:
    """The cases that best match ``query`` that ``user`` may read, best first.

    Each comes with a score in [0, 1]: its summed term weights × idf over the most the
    query's searched terms could give (every stored weight is below 1). Ties go to the
    case that matches more query terms, then to the newer one. Queries: document
    frequencies, the case count, a customer's products, the ranking, the cases.
    """
    if not user.is_authenticated or not user.is_active or limit <= 0:
        return []
    factors = _query_factors(query)
    findable = _findable(user, statuses) if factors else None
    if findable is None:
        return []
    if product_id is not None:
        findable = findable.filter(product_id=product_id)
    # A correlated EXISTS, not a join, for the case's conditions: SQLite without ANALYZE
    # statistics would otherwise walk every published case and probe each query term.
    rule = Q(Exists(findable.filter(pk=OuterRef("article_id"))), term__in=factors)
    per_term = Case(
        *(When(term=t, then=Value(f)) for t, f in factors.items()),
        default=Value(0.0),
        output_field=FloatField(),
    )
    ranking = list(
        Term.objects.filter(rule)
        .values("article_id")
        .annotate(score=Sum(F("weight") * per_term), matched=Count("id"))
        .order_by("-score", "-matched", "-article__updated_at", "-article_id")
        .values_list("article_id", "score")[:limit]
    )
    best = sum(factors.values())
    articles = Article.objects.select_related("product").in_bulk([pk for pk, _ in ranking])
    return [(articles[pk], min(score / best, 1.0)) for pk, score in ranking if pk in articles]


def suggest(
    q: str, *, user: User | AnonymousUser, product_id: int | None = None
) -> list[Suggestion]:
    """The few published cases worth showing while someone registers a problem.

    A query without terms (empty, one character, only stop words) finds nothing and
    costs no database query.
    """
    found = search(q, user=user, product_id=product_id, limit=SUGGESTIONS)
    return [
        {"id": a.pk, "title": a.title, "score": round(score, 3), "url": f"/kb/{a.pk}/"}
        for a, score in found
    ]
