"""Case library search: Chinese terms, ranking across word order, who finds what, suggestions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Product
from campusdesk.kb.models import Article, Term
from campusdesk.kb.search import MAX_QUERY_TERMS, index_article, search, suggest, terms

T0 = datetime.fromisoformat("2026-03-02T09:00:00+08:00")


def case(people: dict[str, User], product: Product, title: str, **fields: Any) -> Article:
    """A case created directly and indexed (services.py writes them in the application)."""
    at = fields.pop("at", T0)
    values: dict[str, Any] = {
        "symptoms": "",
        "solution": "按操作手册处理。",
        "status": Article.Status.PUBLISHED,
        "visibility": Article.Visibility.PUBLIC,
        **fields,
    }
    article = Article.objects.create(
        title=title,
        product=product,
        author=people["expert2"],
        created_at=at,
        updated_at=at,
        **values,
    )
    index_article(article)
    return article


def titles(found: list[tuple[Article, float]]) -> list[str]:
    return [a.title for a, _ in found]


@pytest.fixture
def gms(people: dict[str, User]) -> Product:
    return Product.objects.get(code="gms")  # 研究生管理系统: 新疆师范大学 (`user`) runs it


@pytest.fixture
def sws(people: dict[str, User]) -> Product:
    return Product.objects.get(code="sws")  # 学工系统: 昆仑大学 (`user2`) runs it


@pytest.fixture
def library(people: dict[str, User], gms: Product, sws: Product) -> dict[str, Article]:
    """The target case, near misses sharing a word with it, and cases nobody but staff sees."""
    return {
        "grades": case(
            people,
            gms,
            "录入成绩时系统报错",
            symptoms="导师在成绩管理页面录入学生成绩，点击保存后系统报错“保存失败”。",
            cause="成绩表的学期字段为空。",
            solution="在培养管理中补全学期后重新录入。",
            tags=["成绩", "录入"],
        ),
        "thesis": case(
            people,
            gms,
            "学位论文上传失败",
            symptoms="上传 PDF 论文时提示文件过大，系统报错后上传失败。",
            solution="调整附件大小上限。",
            tags=["学位", "论文"],
        ),
        "admissions": case(
            people,
            gms,
            "招生名单导出乱码",
            symptoms="招生办录入考生信息后导出名单，Excel 中文显示乱码。",
            solution="导出时选择 UTF-8 编码。",
            tags=["招生", "导出"],
        ),
        "tomcat": case(
            people,
            gms,
            "Tomcat OutOfMemoryError 导致系统无响应",
            symptoms="高峰期页面全部超时，catalina.out 中出现 java.lang.OutOfMemoryError。",
            cause="JVM 堆内存 512 MB 不足。",
            solution="把 -Xmx 调到 4g，重启 Tomcat。",
            visibility=Article.Visibility.INTERNAL,
        ),
        "draft": case(
            people,
            gms,
            "成绩录入页面报错（待审核）",
            symptoms="录入成绩时报错。",
            status=Article.Status.DRAFT,
        ),
        "scholarship": case(
            people,
            sws,
            "奖学金评审成绩导入报错",
            symptoms="导入学生成绩时系统报错，提示格式不正确。",
            tags=["奖助", "成绩"],
        ),
    }


# --- terms ------------------------------------------------------------------------------


def test_terms_are_words_and_bigrams_without_stop_words_or_single_characters() -> None:
    found = terms("录入成绩时系统报错！")

    assert {"录入", "成绩", "系统", "报错", "入成"} <= found.keys()
    assert "绩时" not in found and "时系" not in found  # bigrams never span a stop character
    assert not [t for t in found if len(t) == 1]
    assert "！" not in "".join(found)


def test_terms_match_across_word_order() -> None:
    shared = terms("成绩录入报错").keys() & terms("录入成绩时系统报错").keys()

    assert {"成绩", "录入", "报错"} <= shared


def test_terms_keep_english_words_and_version_numbers_lower_cased() -> None:
    found = terms("Tomcat OutOfMemoryError on Oracle 19c, 升级到 11.2.0.4 后 a 出错")

    assert {"tomcat", "outofmemoryerror", "oracle", "19c", "11.2.0.4", "升级"} <= found.keys()
    assert not {"on", "a", "Tomcat"} & found.keys()
    assert terms("Ｔｏｍｃａｔ") == {"tomcat": 1.0}  # full-width letters as typed by an IME


def test_terms_drop_stop_words_and_weigh_repetition() -> None:
    found = terms("怎么办 the 报错 报错 报错 登录")

    assert not {"怎么办", "怎么", "the"} & found.keys()
    assert found["报错"] > found["登录"] == 1.0


def test_terms_are_at_most_forty_characters() -> None:
    found = terms("x" * 100)

    assert found == {"x" * 40: 1.0}
    assert terms("") == {} and terms("，。！ 的了") == {}


# --- index ------------------------------------------------------------------------------


def test_index_weighs_the_title_above_the_solution(library: dict[str, Article]) -> None:
    rows = dict(library["tomcat"].terms.values_list("term", "weight"))

    assert rows["tomcat"] > rows["4g"]
    assert all(0 < weight < 1 for weight in rows.values())


def test_index_replaces_the_terms_of_an_edited_case(library: dict[str, Article]) -> None:
    article = library["thesis"]
    article.title, article.symptoms, article.tags = "答辩安排无法提交", "点击提交无反应。", []
    article.save()

    index_article(article)

    stored = set(article.terms.values_list("term", flat=True))
    assert {"答辩", "提交"} <= stored
    assert "论文" not in stored and "上传" not in stored


# --- ranking ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "成绩录入报错",
        "录入成绩报错",
        "导师录入学生成绩的时候系统一直报错怎么办",
        "成绩 录入 保存失败",
    ],
)
def test_chinese_queries_find_the_case_whatever_the_word_order(
    people: dict[str, User], library: dict[str, Article], query: str
) -> None:
    found = titles(search(query, user=people["expert2"]))

    assert found[0] == "录入成绩时系统报错"
    # Near misses share 报错 or 录入, so they may follow, but never lead.
    assert set(found) & {"学位论文上传失败", "招生名单导出乱码"}


def test_english_queries_work(people: dict[str, User], library: dict[str, Article]) -> None:
    assert titles(search("Tomcat OutOfMemoryError", user=people["engineer"]))[0] == (
        "Tomcat OutOfMemoryError 导致系统无响应"
    )
    assert titles(search("tomcat -xmx 4G", user=people["engineer"])) == [
        "Tomcat OutOfMemoryError 导致系统无响应"
    ]


def test_bigrams_bridge_a_different_segmentation(people: dict[str, User], gms: Product) -> None:
    # jieba cuts the title as 论/文盲/审 (文盲 = illiterate) but the query as 盲审: only the
    # bigram 盲审 of the title lets the rare word count; the other case is newer and has
    # 分配 and 卡住 in its title and symptoms, so without it it would come first.
    target = case(people, gms, "论文盲审专家分配卡住", symptoms="点击“分配”后页面卡住。")
    case(
        people,
        gms,
        "导师分配结果页面卡住",
        symptoms="分配导师后页面卡住。",
        at=T0 + timedelta(days=1),
    )

    found = search("盲审分配卡住", user=people["expert2"])

    assert [a for a, _ in found][0] == target


@pytest.mark.parametrize("query", ["量子纠缠", "", "   ", "的了", "zzzz"])
def test_a_query_matching_nothing_finds_nothing(
    people: dict[str, User], library: dict[str, Article], query: str
) -> None:
    assert search(query, user=people["expert2"]) == []
    assert suggest(query, user=people["expert2"]) == []


def test_scores_are_between_zero_and_one_and_descending(
    people: dict[str, User], library: dict[str, Article]
) -> None:
    scores = [score for _, score in search("成绩录入系统报错乱码", user=people["admin"])]

    assert len(scores) >= 4
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)


def test_rare_terms_outweigh_common_ones(people: dict[str, User], gms: Product) -> None:
    for module in ("招生", "学位", "学籍", "奖助", "答辩"):
        case(people, gms, f"{module}系统报错", symptoms=f"{module}页面系统报错。")
    target = case(people, gms, "归档查询很慢", symptoms="日志中出现 ORA-01555 快照过旧。")

    found = search("系统报错 ORA-01555", user=people["expert2"])

    assert found[0][0] == target  # 系统报错 is in every other title, ORA-01555 only here


def test_a_word_of_every_case_is_not_looked_up(people: dict[str, User], gms: Product) -> None:
    """It reads a row per case and moves no score: the ranking leaves it out, same result."""
    modules = ("招生", "学位", "学籍", "奖助", "答辩", "迎新", "离校", "毕业", "选课", "排课")
    for n in range(60):  # enough cases for its idf to fall under 1 % of the rarest term's
        module = modules[n % len(modules)]
        case(
            people,
            gms,
            f"{module}页面打不开 {n}",
            symptoms=f"打开{module}页面一直转圈。",
            at=T0 + timedelta(hours=n),
        )
    target = case(people, gms, "门禁页面报错", symptoms="门禁页面提示 500。")

    with CaptureQueriesContext(connection) as queries:
        found = search("门禁页面报错", user=people["expert2"])

    assert found[0][0] == target
    ranking = next(q["sql"] for q in queries.captured_queries if "SUM(" in q["sql"].upper())
    assert "'门禁'" in ranking and "'页面'" not in ranking  # 页面 is in all 61 cases


def test_equal_cases_rank_the_newer_first(people: dict[str, User], gms: Product) -> None:
    newer = case(
        people, gms, "统一身份认证登录超时", symptoms="登录超时。", at=T0 + timedelta(days=3)
    )
    older = case(people, gms, "统一身份认证登录超时", symptoms="登录超时。", at=T0)

    found = search("登录超时", user=people["expert2"])

    assert found[0][1] == found[1][1]
    assert [a for a, _ in found] == [newer, older]


def test_long_queries_look_up_only_the_rarest_terms(
    people: dict[str, User], library: dict[str, Article]
) -> None:
    # Title and symptoms typed into the registration form, naming words of every case.
    text = "导师录入学生成绩时系统报错，" + "，".join(
        f"{a.title}{a.symptoms}" for a in library.values() if a.title != "录入成绩时系统报错"
    )
    assert len(terms(text)) > MAX_QUERY_TERMS

    with CaptureQueriesContext(connection) as queries:
        found = search(text, user=people["expert2"])

    assert found
    ranking = [q["sql"] for q in queries.captured_queries if "SUM(" in q["sql"].upper()]
    assert len(ranking) == 1
    assert ranking[0].upper().count(" WHEN ") == MAX_QUERY_TERMS
    assert "outofmemoryerror" in ranking[0]  # one case has it, twice in the query
    assert "'系统'" not in ranking[0]  # four of six cases have it


@pytest.mark.parametrize(("login", "expected"), [("user", 5), ("expert2", 4)])
def test_search_takes_the_same_queries_however_many_cases_match(
    people: dict[str, User], gms: Product, login: str, expected: int
) -> None:
    for n in range(12):
        case(people, gms, f"成绩录入报错 {n} 号", at=T0 + timedelta(hours=n))

    with CaptureQueriesContext(connection) as queries:
        found = search("成绩录入报错", user=people[login], limit=20)

    assert len(found) == 12
    # Frequencies, case count, (a customer's products,) the ranking, the cases.
    assert len(queries) == expected


# --- who finds what ---------------------------------------------------------------------


def test_customers_never_find_internal_cases(
    people: dict[str, User], library: dict[str, Article]
) -> None:
    assert search("Tomcat OutOfMemoryError", user=people["user"]) == []
    assert titles(search("Tomcat OutOfMemoryError", user=people["expert2"]))


def test_customers_find_only_their_organisations_products(
    people: dict[str, User], library: dict[str, Article]
) -> None:
    ours = set(titles(search("成绩报错", user=people["user"])))
    theirs = set(titles(search("成绩报错", user=people["user2"])))

    assert "录入成绩时系统报错" in ours and "奖学金评审成绩导入报错" not in ours
    assert theirs == {"奖学金评审成绩导入报错"}  # nothing of 研究生管理系统


def test_vendor_staff_find_internal_cases_of_every_product(
    people: dict[str, User], library: dict[str, Article]
) -> None:
    for login in ("engineer", "engineer2", "expert2", "agent", "admin"):
        found = set(titles(search("成绩报错 Tomcat", user=people[login])))
        assert {"录入成绩时系统报错", "奖学金评审成绩导入报错"} <= found, login
        assert "Tomcat OutOfMemoryError 导致系统无响应" in found, login


def test_drafts_are_found_only_when_staff_ask_for_them(
    people: dict[str, User], library: dict[str, Article]
) -> None:
    draft, everything = "成绩录入页面报错（待审核）", ("draft", "review", "published")

    assert draft not in titles(search("成绩录入报错", user=people["expert2"]))
    assert draft in titles(search("成绩录入报错", user=people["expert2"], statuses=everything))
    assert draft not in titles(search("成绩录入报错", user=people["user"], statuses=everything))
    for login in ("expert2", "admin", "user"):
        assert draft not in [s["title"] for s in suggest("成绩录入报错", user=people[login])], login


def test_nobody_signed_in_finds_nothing(
    people: dict[str, User], library: dict[str, Article]
) -> None:
    assert search("成绩录入报错", user=AnonymousUser()) == []
    inactive = people["expert2"]
    inactive.is_active = False
    assert search("成绩录入报错", user=inactive) == []


def test_product_filter(
    people: dict[str, User], library: dict[str, Article], gms: Product, sws: Product
) -> None:
    found = search("成绩报错", user=people["expert2"], product_id=sws.pk)

    assert titles(found) == ["奖学金评审成绩导入报错"]
    assert "奖学金评审成绩导入报错" not in titles(
        search("成绩报错", user=people["expert2"], product_id=gms.pk)
    )
    assert search("成绩报错", user=people["user"], product_id=sws.pk) == []


# --- suggest ----------------------------------------------------------------------------


def test_suggest_returns_at_most_five_in_shape(people: dict[str, User], gms: Product) -> None:
    made = [
        case(people, gms, f"成绩录入报错第{n}例", symptoms="录入成绩后报错。" * (n + 1))
        for n in range(7)
    ]

    shown = suggest("成绩录入报错", user=people["user"], product_id=gms.pk)

    assert len(shown) == 5
    assert all(set(s) == {"id", "title", "score", "url"} for s in shown)
    assert all(s["url"] == f"/kb/{s['id']}/" for s in shown)
    assert {s["id"] for s in shown} <= {a.pk for a in made}
    scores = [s["score"] for s in shown]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def test_suggest_ignores_a_too_short_query(
    people: dict[str, User], library: dict[str, Article]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert suggest("成", user=people["user"]) == []
        assert suggest("a", user=people["user"]) == []
    assert len(queries) == 0
    assert suggest(" 报错 ", user=people["user"])


def test_deleting_a_case_removes_its_terms(library: dict[str, Article]) -> None:
    article = library["thesis"]
    article.delete()

    assert not Term.objects.filter(article_id=library["thesis"].pk).exists()
