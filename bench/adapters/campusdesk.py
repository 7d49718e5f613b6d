"""Adapter: campusdesk, for ../shared/bench/drive.py (same scenarios as its django-helpdesk one).

`m` is the manifest written by bench/manifest.py, `i` the request's sequence number.

* ceiling: ``/healthz``, a plain view through the whole middleware stack.
* list_first / list_deep: the staff queue page ``/queue/in_progress/?product=<id>`` as the
  operations specialist sees it (every project), newest first, 25 a page; deep = the page
  at 90 % of that product's problems in progress.
* search: ``/tickets/?search=<word>``, every problem, first page.
* detail: ``/tickets/<id>/``, the ticket page with its timeline, deadlines and actions.
* create: ``POST /api/v1/tickets/`` (JSON; session + CSRF header), registered on behalf of a
  customer of one of the first 200 projects.
* list_deep uses the ``deep_after`` cursor of each queue (bench/manifest.py): pages are
  keyset pages (core.paging), reached by the row they continue from, not by a number.
"""

WORDS = "成绩 选课 排课 奖学金 宿舍 单点登录 报销 学籍 答辩 考勤 门禁 招生".split()  # noqa: SIM905


def _queue(m, i):
    return m["queues"][i % len(m["queues"])]


def ceiling(m, i):
    return {"method": "GET", "path": "/healthz", "expect": (200,)}


def list_first(m, i):
    q = _queue(m, i)
    return {
        "method": "GET",
        "path": "/queue/in_progress/",
        "params": {"product": str(q["id"])},
        "expect": (200,),
    }


def list_deep(m, i):
    """The page 90 % down the queue, by the cursor the manifest found for it (keyset)."""
    q = _queue(m, i)
    return {
        "method": "GET",
        "path": "/queue/in_progress/",
        "params": {"product": str(q["id"]), "after": q.get("deep_after", "")},
        "expect": (200,),
    }


def search(m, i):
    kw = m["keywords"][i % len(m["keywords"])]
    return {"method": "GET", "path": "/tickets/", "params": {"search": kw}, "expect": (200,)}


def detail(m, i):
    tid = m["ticket_ids"][i % len(m["ticket_ids"])]
    return {"method": "GET", "path": f"/tickets/{tid}/", "expect": (200,)}


def create(m, i):
    project, customer = m["registrations"][i % len(m["registrations"])]
    word = WORDS[i % len(WORDS)]
    return {
        "method": "POST",
        "path": "/api/v1/tickets/",
        "json": {
            "project": project,
            "reporter": customer,
            "title": f"压测 {i} {word}页面报错",
            "description": f"压测请求 {i}：{word}模块保存时提示系统异常，多名老师反馈。",
            "urgency": "medium",
            "service_type": "fault",
        },
        "expect": (201,),
    }


# extra endpoints, for diagnosis
def api_list(m, i):
    return {
        "method": "GET",
        "path": "/api/v1/tickets/",
        "params": {"status": "in_progress"},
        "expect": (200,),
    }


def watch_overdue(m, i):
    return {"method": "GET", "path": "/ops/overdue/", "expect": (200,)}


def kb_suggest(m, i):
    kw = m["keywords"][i % len(m["keywords"])]
    return {
        "method": "GET",
        "path": "/api/v1/kb/suggest/",
        "params": {"q": f"{kw}页面报错"},
        "expect": (200,),
    }


def home(m, i):
    return {"method": "GET", "path": "/", "expect": (200,)}


ADAPTER = {
    "name": "campusdesk",
    "auth": {
        "kind": "form_login",
        "login_path": "/accounts/login/",
        "fields": {"username": "{staff_user}", "password": "{password}"},
        "csrf_cookie": "csrftoken",
        "csrf_form_field": "csrfmiddlewaretoken",
        "csrf_header": "X-CSRFToken",
        # the landing page after login: the user's projects (at most 20) and the inbox count
        "check_path": "/",
    },
    "requests": {
        "ceiling": ceiling,
        "create": create,
        "list_first": list_first,
        "list_deep": list_deep,
        "search": search,
        "detail": detail,
        "api_list": api_list,
        "watch_overdue": watch_overdue,
        "kb_suggest": kb_suggest,
        "home": home,
    },
}
