"""The demo's document library: what the vendor published this month to the customers.

A user manual (a PDF), a product alert, a technical support bulletin, an operations
manual of the second university's product, and two maintenance notices (one to come), each
published through ``announcement_publish`` so the customers' inboxes heard of them.
Running it again changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog.models import Product
from campusdesk.core import clock
from campusdesk.core.documents import Grid, blocks_pdf
from campusdesk.notify.announcements import announcement_publish
from campusdesk.notify.models import Announcement
from campusdesk.tickets.demo import is_working_day

MANUAL = "研究生管理系统用户手册（导师篇）V3.2"
WEEKDAYS = "一二三四五六日"

MANUAL_BLOCKS = [
    ("title", MANUAL),
    ("text", "适用于研究生管理系统 V3.2 及其补丁版本。本手册面向导师，说明常用的操作。"),
    ("heading", "一、登录与密码"),
    (
        "text",
        "请从学校统一身份认证入口登录研究生系统，账号为教职工号。忘记密码时，在统一身份认证"
        "登录页点“忘记密码”，用手机短信或绑定的邮箱重置；收不到短信的，请联系学院研究生秘书。",
    ),
    ("heading", "二、查看指导的学生"),
    (
        "text",
        "“我的学生”列出您指导的在读研究生。名单为空时，请确认本年度的招生资格已经审核通过。",
    ),
    ("heading", "三、成绩录入"),
    (
        "text",
        "在“教学管理 → 成绩录入”中选择课程，逐个或批量填写成绩后点“保存”，确认无误后点"
        "“提交审核”。提交后需修改的，请联系学院退回。",
    ),
    ("heading", "四、学位论文审核"),
    (
        "text",
        "学生提交学位论文后，您会在待办中看到“论文审核”。查重结果回传后方可审核通过。",
    ),
    ("heading", "五、遇到问题"),
    (
        "facts",
        [
            ("问题登记", "登录服务台，点“登记问题”"),
            ("服务热线", "4007-99-4007（工作日 9:00–17:00，紧急故障 7×24 小时）"),
            ("常见问题", "服务台“案例库”，可按“登录”“密码”“成绩”等关键词搜索"),
        ],
    ),
    (
        "grid",
        Grid(
            header=["版本", "日期", "说明"],
            rows=[
                ["V3.2", "2025-09", "新增论文查重结果回传、成绩批量录入"],
                ["V3.1", "2025-03", "统一身份认证单点登录"],
            ],
            shares=(0.2, 0.2, 0.6),
        ),
    ),
]


def _day(day: date) -> str:
    return f"{day.month} 月 {day.day} 日（周{WEEKDAYS[day.weekday()]}）"


def load(people: dict[str, User]) -> None:
    if Announcement.objects.filter(title=MANUAL).exists():
        return
    now = clock.now()
    today = clock.local(now).date()
    tz = clock.local(now).tzinfo

    def days_ago(days: int, hhmm: str) -> datetime:
        hours, minutes = (int(part) for part in hhmm.split(":"))
        return datetime.combine(today - timedelta(days=days), time(hours, minutes), tzinfo=tz)

    gms, sws = Product.objects.get(code="gms"), Product.objects.get(code="sws")
    univ2 = Organisation.objects.filter(projects__product=sws).distinct()
    manual = blocks_pdf(MANUAL_BLOCKS, MANUAL)
    announcement_publish(
        actor=people["expert3"],
        category=Announcement.Category.DOCUMENT,
        title=MANUAL,
        body="研究生管理系统 V3.2 导师用户手册：登录与密码、查看指导的学生、成绩录入、"
        "学位论文审核和问题登记。请下载附件阅读，欢迎转发给各学院导师。",
        products=[gms],
        attachment=SimpleUploadedFile(f"{MANUAL}.pdf", manual, content_type="application/pdf"),
        now=days_ago(26, "10:00"),
    )
    announcement_publish(
        actor=people["expert3"],
        category=Announcement.Category.DOCUMENT,
        title="学工系统操作手册：家庭经济困难认定",
        body="学生提交申请 → 班级评议 → 辅导员审核 → 学院审核 → 资助管理中心认定。"
        "每一步的操作、常见退回原因和名单导出方法见正文；截止日前请提醒学生保存草稿后再提交。",
        products=[sws],
        now=days_ago(22, "15:30"),
    )
    announcement_publish(
        actor=people["expert2"],
        category=Announcement.Category.BULLETIN,
        title="技术支持公告：学位论文上传大小上限的调整方法",
        body="学位论文 PDF 默认上限为 20 MB。需要调大的学校，请在前端代理（Nginx）中调整 "
        "client_max_body_size，并在“系统管理 → 参数设置 → 附件上限”中设为相同的值；"
        "建议学生先压缩论文中的高分辨率图片。",
        products=[gms],
        now=days_ago(18, "11:00"),
    )
    announcement_publish(
        actor=people["expert2"],
        category=Announcement.Category.ALERT,
        title="产品预警：Apache Shiro 身份认证绕过漏洞（CVE-2020-1957）",
        body="研究生管理系统 V3.0–V3.2 与学工系统 V2.x 使用的 Apache Shiro 存在身份认证绕过"
        "漏洞（CVSS 9.8）。我们将在本月的例行维护中升级到 1.13.0；升级前请勿将管理后台开放到"
        "校外网络。",
        products=[gms, sws],
        now=days_ago(12, "16:20"),
    )
    upgrade = _day(today - timedelta(days=2))
    announcement_publish(
        actor=people["ops"],
        category=Announcement.Category.NOTICE,
        title="学工系统奖助学金模块升级通知",
        body=f"{upgrade}18:00–20:00 升级奖助学金模块，其间评审与名单导出暂停，其他功能不受影响。",
        products=[sws],
        organisations=univ2,
        now=days_ago(5, "09:30"),
    )
    day = today + timedelta(days=1)
    while is_working_day(day):  # the first weekend or holiday to come
        day += timedelta(days=1)
    when = _day(day)
    announcement_publish(
        actor=people["ops"],
        category=Announcement.Category.NOTICE,
        title=f"研究生管理系统维护通知：{when}22:00 至次日 02:00 暂停服务",
        body=f"为升级 Apache Shiro 等组件并清理数据库日志，研究生管理系统将于 {when}22:00 至"
        "次日 02:00 暂停服务。请提前保存正在录入的成绩和论文；维护结束后无需任何操作。"
        "如有疑问请拨打服务热线 4007-99-4007。",
        products=[gms],
        now=days_ago(2, "17:10"),
    )
