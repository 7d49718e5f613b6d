"""Demo cases of the library (published, internal, a draft from a closed problem).

The published ones answer what users ask most (登录, 密码, 成绩, 论文, 导师, 报表 …), so
the library's search and the registration form's suggestions find them.
"""

from __future__ import annotations

from datetime import timedelta

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Product
from campusdesk.core import clock
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
    (
        "gms",
        "统一身份认证登录后又跳回登录页",
        "通过统一身份认证登录研究生系统后又回到登录页，反复几次后提示“票据无效”。",
        "应用服务器与统一身份认证服务器的时间不一致，登录票据校验失败；"
        "少数情况是浏览器禁用了 Cookie。",
        "请先清除浏览器缓存并允许本站 Cookie 后重试；仍不能登录的，由学校信息中心核对两台服务器"
        "的时间同步（NTP），或提交问题由我们处理。",
        ["登录", "统一身份认证", "单点登录"],
        "public",
    ),
    (
        "gms",
        "忘记密码或收不到短信验证码，如何重置密码",
        "忘记研究生系统的登录密码；点“忘记密码”后短信验证码收不到。",
        "研究生系统使用学校统一身份认证的密码；手机号曾退订短信的，验证码会被运营商拦截。",
        "1. 在统一身份认证登录页点“忘记密码”，用手机短信或绑定的邮箱重置；"
        "2. 收不到短信的，请研究生秘书在“用户管理 → 重置密码”中重置，或联系学校信息中心；"
        "3. 重置后请用新密码从统一身份认证登录。",
        ["密码", "登录", "短信验证码"],
        "public",
    ),
    (
        "gms",
        "重置密码后仍提示“用户名或密码错误”",
        "研究生秘书为导师重置密码后，导师用新密码登录仍提示“用户名或密码错误”。",
        "研究生系统有自己的本地登录页和统一身份认证两种入口，重置的是统一身份认证的密码，"
        "导师却在本地登录页登录（或反之）。",
        "请从学校统一身份认证入口登录研究生系统；本地登录页仅供管理员使用。",
        ["密码", "登录", "导师"],
        "public",
    ),
    (
        "gms",
        "导师分配后学生端仍显示“未分配”",
        "研究生院完成导师分配后，学生在“我的导师”中仍看到“未分配”。",
        "分配结果由定时任务同步到学生端；导师档案重复（同一工号两条）时同步任务会中断。",
        "在“导师管理 → 数据检查”中合并重复的导师档案，再在“系统管理 → 定时任务”中执行"
        "“导师分配同步”。",
        ["导师分配", "同步"],
        "public",
    ),
    (
        "gms",
        "报表导出 Excel 超时或一直在加载",
        "在报表中心导出在校生统计等大报表时，等待很久后提示超时。",
        "大报表的查询需要相应的数据库索引；版本较旧的系统缺少“学院 + 年级”索引。",
        "请先按学院或年级筛选后分批导出；如所有导出都超过 30 秒，请提交问题，我们检查索引。",
        ["报表", "导出", "Excel"],
        "public",
    ),
    (
        "gms",
        "学位论文查重结果一直显示“检测中”",
        "查重平台已完成检测，研究生系统里论文的查重结果仍是“检测中”。",
        "查重平台回传结果时调用研究生系统的接口；平台更换接口密钥后回传失败。",
        "请学校向查重平台索取新的接口密钥，在“系统管理 → 接口配置 → 论文查重”中更新；"
        "已送检的论文可点“重新获取结果”。",
        ["论文", "查重", "接口"],
        "public",
    ),
    (
        "sws",
        "学工系统登录提示“账号已锁定”",
        "登录学工系统时提示“账号已锁定，请联系管理员”。",
        "连续输错密码 5 次，账号被锁定 30 分钟。",
        "30 分钟后可再次登录；着急的请院系管理员在“用户管理”中解锁，忘记密码的请先重置密码。",
        ["登录", "密码", "账号锁定"],
        "public",
    ),
]
#: when the first case was written, in days before the demo's today; the next ones follow
WRITTEN_DAYS_AGO = 90


def load(people: dict[str, User]) -> None:
    if Article.objects.exists():
        return
    expert = people["expert2"]
    now = clock.now()
    step = timedelta(days=WRITTEN_DAYS_AGO) / len(CASES)
    for n, (code, title, symptoms, cause, solution, tags, visibility) in enumerate(CASES):
        product = Product.objects.get(code=code)
        written = now - timedelta(days=WRITTEN_DAYS_AGO) + n * step
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
            now=written,
        )
        services.article_set_status(
            article_id=article.pk,
            actor=expert,
            status="published",
            now=written + timedelta(hours=3),
        )
    closed = Ticket.objects.filter(status="closed").first()
    if closed is not None:
        services.article_from_ticket(ticket_id=closed.pk, actor=people["engineer"])
