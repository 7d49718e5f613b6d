"""How fast the registration form's case suggestions answer (issue 6 item 7).

Target: ``suggest()`` answers within 50 ms at p95 over 10,000 cases.

    DATA_DIR=var/bench-kb DEBUG=1 .venv/bin/python bench/kb_suggest.py --entries 10000 --queries 300

Without DATABASE_URL it builds a fresh SQLite file under DATA_DIR (whose last part must
start with "bench", so no real database is ever deleted). With DATABASE_URL it uses that
database, which must hold no cases yet (or pass --reset to delete all of them): give it a
database of its own.

Steps: migrate, load the demo personas and products, write N deterministic cases for
研究生管理系统 and 学工系统 (module × object × action × problem, with roles, browsers,
databases and error codes in the symptoms), index each with ``index_article``, then time
``suggest()`` for Q short realistic queries (some with filler words, some typed
paragraphs, some English), for a customer and for a vendor engineer, half of them with
the product filter the registration form sends.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campusdesk.settings")


def listed(words: str) -> list[str]:
    return words.split()


MODULES = {
    "gms": listed(
        "招生 复试 调剂 推免 培养 选课 排课 课程 开题 中期考核 学位 答辩 盲审 论文 成绩 "
        "导师 学籍 奖助 毕业 评教"
    ),
    "sws": listed(
        "奖学金 助学金 助学贷款 勤工助学 宿舍 请假 心理测评 困难认定 评优 辅导员 "
        "学生档案 迎新 离校 日常考勤 资助"
    ),
}
OBJECTS = listed("名单 申请 信息 记录 报表 页面 成绩单 证书 材料 附件 结果 数据 批次 模板 流程")
ACTIONS = listed("录入 导出 上传 审核 提交 查询 同步 导入 打印 删除 修改 分配 发布 下载 审批 保存")
PROBLEMS = listed(
    "报错 乱码 超时 白屏 卡住 失败 无响应 数据丢失 数据重复 显示不全 排序错乱 权限不足 "
    "提示格式错误 页面空白 加载很慢 按钮灰色"
)
ROLES = listed("导师 学生 研究生秘书 院系管理员 研究生院老师 辅导员 学工处老师 财务处老师")
ENVIRONMENTS = [
    "IE11",
    "Chrome 88",
    "360 浏览器兼容模式",
    "Oracle 19c",
    "Tomcat 9",
    "达梦数据库 DM8",
    "CentOS 7.9",
    "Windows 10",
    "Nginx 1.20",
]
ERRORS = [
    "NullPointerException",
    "ORA-01555 快照过旧",
    "java.lang.OutOfMemoryError",
    "SocketTimeoutException",
    "HTTP 500",
    "504 Gateway Timeout",
    "ORA-00001 违反唯一约束",
    "ClassCastException",
]
TITLES = [
    "{module}{object}{action}{problem}",
    "{role}{action}{module}{object}时{problem}",
    "{module}模块{action}后{problem}",
    "{action}{module}{object}{problem}（{env}）",
    "{module}{object}无法{action}",
]
SYMPTOMS = [
    "{role}在{module}{object}页面点击“{action}”后{problem}，刷新后仍然如此。",
    "批量{action}{module}{object}时{problem}，日志中出现 {error}。",
    "使用 {env} 访问{module}模块，{action}{object}后{problem}，其他浏览器正常。",
    "多名{role}反映{module}{object}{action}{problem}，影响{number}人。",
]
CAUSES = [
    "{module}{object}表缺少索引，数据量大时查询超时。",
    "{env} 的字符集与导出模板不一致。",
    "缓存中的{object}数据未刷新。",
    "定时任务与{action}操作同时运行，锁表。",
    "字段长度不足，{object}内容被截断。",
    "权限配置遗漏了{role}的{action}权限。",
]
SOLUTIONS = [
    "为{module}{object}表补建索引后重新{action}。",
    "把导出模板改为 UTF-8 编码，重新{action}。",
    "清除缓存并重启 {env}。",
    "把定时任务移到夜间，避开{action}高峰。",
    "扩大字段长度到 500，重新{action}{object}。",
    "在权限管理中为{role}勾选“{action}{object}”。",
]
QUERIES = [
    "{module}{action}{problem}",
    "{action}{object}{problem}",
    "{module}{object}{problem}",
    "{problem} {module}{action}",
    "{role}{action}{module}{object}的时候一直{problem}怎么办",
    "{module}{object}{action}不了",
    "为什么{action}{module}{object}会{problem}",
    "{module} {error}",
    "{role}反映{module}{object}{action}以后{problem}，刷新也没用，请问怎么处理",
]
ENGLISH = ["Tomcat OutOfMemoryError", "ORA-01555", "NullPointerException 导出", "HTTP 500 提交"]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--reset", action="store_true", help="delete existing cases first")
    return parser.parse_args()


def fresh_sqlite() -> None:
    """Remove the SQLite file under DATA_DIR, refusing anything but a bench directory."""
    data_dir = Path(os.environ.get("DATA_DIR", "var")).resolve()
    if not data_dir.name.startswith("bench"):
        sys.exit(f"DATA_DIR={data_dir} is not a bench directory (its name must start 'bench').")
    for suffix in ("", "-wal", "-shm"):
        (data_dir / f"campusdesk.sqlite3{suffix}").unlink(missing_ok=True)


def words(rng: random.Random, product: str) -> dict[str, str]:
    return {
        "module": rng.choice(MODULES[product]),
        "object": rng.choice(OBJECTS),
        "action": rng.choice(ACTIONS),
        "problem": rng.choice(PROBLEMS),
        "role": rng.choice(ROLES),
        "env": rng.choice(ENVIRONMENTS),
        "error": rng.choice(ERRORS),
        "number": str(rng.randint(2, 300)),
    }


def make_cases(count: int, seed: int) -> int:
    from campusdesk.accounts.models import User
    from campusdesk.catalog.models import Product
    from campusdesk.kb.models import Article

    rng = random.Random(seed)
    products = {p.code: p for p in Product.objects.filter(code__in=MODULES)}
    author = User.objects.get(username="expert2")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    batch = []
    for n in range(count):
        code = "gms" if rng.random() < 0.6 else "sws"
        w = words(rng, code)
        at = start + timedelta(minutes=47 * n)
        batch.append(
            Article(
                title=rng.choice(TITLES).format(**w)[:200],
                symptoms=rng.choice(SYMPTOMS).format(**w),
                cause=rng.choice(CAUSES).format(**w),
                solution=rng.choice(SOLUTIONS).format(**w),
                product=products[code],
                tags=[w["module"], w["problem"], w["action"]],
                visibility="internal" if rng.random() < 0.15 else "public",
                status=rng.choices(["published", "draft", "review"], [90, 5, 5])[0],
                author=author,
                created_at=at,
                updated_at=at,
                published_at=at,
            )
        )
    Article.objects.bulk_create(batch, batch_size=500)
    return count


def index_all() -> tuple[int, float]:
    from django.db import transaction

    from campusdesk.kb.models import Article
    from campusdesk.kb.search import index_article

    started = time.perf_counter()
    rows = 0
    articles = list(Article.objects.order_by("id"))
    for first in range(0, len(articles), 500):
        with transaction.atomic():  # one commit per 500 cases; each is still its own unit
            rows += sum(index_article(a) for a in articles[first : first + 500])
    return rows, time.perf_counter() - started


def make_queries(count: int, seed: int) -> list[tuple[str, str]]:
    """(product code, query) pairs: mostly the modules' words, some English, some long."""
    rng = random.Random(seed + 1)
    queries = []
    for _ in range(count):
        code = "gms" if rng.random() < 0.6 else "sws"
        if rng.random() < 0.05:
            queries.append((code, rng.choice(ENGLISH)))
        else:
            queries.append((code, rng.choice(QUERIES).format(**words(rng, code))))
    return queries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(queries: list[tuple[str, str]], login: str, products: dict[str, int]) -> dict[str, Any]:
    from campusdesk.accounts.models import User
    from campusdesk.kb.search import suggest

    user = User.objects.select_related("organisation").get(username=login)
    for _, q in queries[:10]:  # warm: jieba's dictionary, the connection, SQLite's cache
        suggest(q, user=user)
    took, shown = [], []
    for n, (code, q) in enumerate(queries):
        product_id = products[code] if n % 2 == 0 else None  # the form sends one when known
        started = time.perf_counter()
        found = suggest(q, user=user, product_id=product_id)
        took.append((time.perf_counter() - started) * 1000)
        shown.append(len(found))
    return {
        "who": login,
        "p50": statistics.median(took),
        "p95": percentile(took, 0.95),
        "max": max(took),
        "mean_shown": statistics.mean(shown),
    }


def relevance(seed: int, per_template: int = 20) -> str:
    """Speed must not cost the ranking: how often does the first suggestion name as many of
    the query's module, object, action, problem and role as the best case in the library?"""
    from campusdesk.accounts.models import User
    from campusdesk.kb.models import Article
    from campusdesk.kb.search import suggest

    rng = random.Random(seed + 2)
    user = User.objects.get(username="engineer")
    texts = {
        pk: f"{title} {symptoms} {' '.join(tags)}"
        for pk, title, symptoms, tags in Article.objects.filter(status="published").values_list(
            "id", "title", "symptoms", "tags"
        )
    }
    asked = first = 0
    for template in QUERIES:
        named = [
            k for k in ("module", "object", "action", "problem", "role") if f"{{{k}}}" in template
        ]
        for _ in range(per_template):
            w = words(rng, "gms")
            best = max(sum(w[k] in text for k in named) for text in texts.values())
            found = suggest(template.format(**w), user=user)
            asked += 1
            first += bool(found) and sum(w[k] in texts[found[0]["id"]] for k in named) == best
    return f"first suggestion names as much of the query as the best case: {first}/{asked}"


def main() -> None:
    args = parse()
    if not os.environ.get("DATABASE_URL"):
        fresh_sqlite()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campusdesk.accounts.models import User
    from campusdesk.catalog.models import Product
    from campusdesk.kb.models import Article
    from campusdesk.kb.search import suggest, terms
    from campusdesk.site import demo

    call_command("migrate", verbosity=0)
    if Article.objects.exists():
        if not args.reset:
            sys.exit("This database already holds cases: use a database of its own, or --reset.")
        Article.objects.all().delete()
    demo.load(tickets=False)
    settings.DEBUG = False  # time what production runs: no query log in the cursor

    started = time.perf_counter()
    make_cases(args.entries, args.seed)
    written = time.perf_counter() - started
    rows, indexed = index_all()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does soon after a bulk load
            cursor.execute("VACUUM ANALYZE kb_term")
            cursor.execute("VACUUM ANALYZE kb_article")
    queries = make_queries(args.queries, args.seed)
    products = dict(Product.objects.filter(code__in=MODULES).values_list("code", "id"))

    print(f"database: {connection.vendor}; cases: {Article.objects.count()}; terms: {rows}")
    print(f"wrote cases in {written:.1f} s; indexed in {indexed:.1f} s")
    avg_terms = statistics.mean(len(terms(q)) for _, q in queries)
    print(f"queries: {len(queries)}, {avg_terms:.1f} terms each on average; e.g.")
    for _, q in queries[:5]:
        print(f"  {q}")
    customer = User.objects.get(username="user")
    with CaptureQueriesContext(connection) as captured:
        suggest(queries[0][1], user=customer)
    print(f"SQL queries per suggestion: {len(captured)}")
    print(f"{'who':10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'shown':>6}")
    for login in ("user", "engineer"):
        r = timed(queries, login, products)
        print(
            f"{r['who']:10} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['mean_shown']:6.1f}"
        )
    print(f"relevance check: {relevance(args.seed)}")


if __name__ == "__main__":
    main()
