"""Demo cases of the library (published, internal, a draft from a closed problem)."""

from __future__ import annotations

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Product
from campusdesk.kb import services
from campusdesk.kb.models import Article
from campusdesk.tickets.models import Ticket

CASES = [
    (
        "gms",
        "录入成绩时系统报错“系统异常”",
        "导师在成绩录入页面点击保存后提示“系统异常”，部分课程无法保存。",
        "同一学生同一课程存在重复的成绩记录，违反唯一索引。",
        "在“成绩管理 → 数据检查”中清理重复记录后重新保存；如仍报错请提交问题。",
        ["成绩", "唯一索引"],
        "public",
    ),
    (
        "gms",
        "学位论文上传失败，提示文件过大",
        "学生上传学位论文 PDF 时提示 413 或“文件过大”。",
        "前端代理（Nginx）限制了上传大小，默认 20M。",
        "请先压缩 PDF（去除高分辨率图片）至 20M 以内；学校可联系我们调整上传上限。",
        ["论文", "上传"],
        "public",
    ),
    (
        "gms",
        "招生名单导出 Excel 中文乱码",
        "导出的考生名单用 Excel 打开后中文显示为乱码。",
        "导出文件为 UTF-8 编码的 CSV，旧版 Excel 默认按 GBK 打开。",
        "请使用“导出为 xlsx”，或在 Excel 中通过“数据 → 自文本”按 UTF-8 导入。",
        ["招生", "导出", "乱码"],
        "public",
    ),
    (
        "gms",
        "Tomcat 内存溢出导致系统整体无响应",
        "高峰期页面长时间无响应，日志出现 java.lang.OutOfMemoryError: Java heap space。",
        "JVM 堆内存配置过小，报表导出时占用大量内存。",
        "将 -Xmx 调整为服务器内存的 50%，并开启报表异步导出。",
        ["Tomcat", "内存"],
        "internal",
    ),
    (
        "sws",
        "奖助学金名单审核后状态不更新",
        "学院审核通过后，学生端仍显示“审核中”。",
        "审核流程回调任务未执行。",
        "在“系统管理 → 定时任务”中手动执行“流程状态同步”。",
        ["奖助", "流程"],
        "public",
    ),
]


def load(people: dict[str, User]) -> None:
    if Article.objects.exists():
        return
    expert = people["expert2"]
    for code, title, symptoms, cause, solution, tags, visibility in CASES:
        product = Product.objects.get(code=code)
        article = services.article_create(
            actor=expert,
            product_id=product.pk,
            fields={
                "title": title,
                "symptoms": symptoms,
                "cause": cause,
                "solution": solution,
                "tags": tags,
                "visibility": visibility,
            },
        )
        services.article_set_status(article_id=article.pk, actor=expert, status="published")
    closed = Ticket.objects.filter(status="closed").first()
    if closed is not None:
        services.article_from_ticket(ticket_id=closed.pk, actor=people["engineer"])
