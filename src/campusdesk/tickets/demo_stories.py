"""The demo's month of problems, as data: who reported what, when, and each step after.

A story's moments are counted on the Chinese working calendar back from the demo's today
(``on(3, "09:20")``: the third working day before today, at 09:20 Beijing time;
``rest=True``: on the weekend or holiday just before that working day), or back from the
demo's now (``ago``: today's problems). A step's ``(n, "HH:MM")`` is ``n`` working days
after the day the problem was registered (0: that same day). Only today's problems reach
today, so every moment is in the past whatever day the demo is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

#: who acts: the project's line-1 engineer, or the problem's reporter (else a username)
LINE1, REPORTER = "@line1", "@reporter"

Day = tuple[int, str]
When = Day | timedelta


@dataclass(frozen=True)
class Start:
    """When the problem was registered (see the module's docstring)."""

    days: int = 0
    clock: str = ""
    rest: bool = False
    ago: timedelta | None = None


@dataclass(frozen=True)
class Step:
    action: str
    when: When
    who: str = LINE1
    text: str = ""
    severity: str = ""
    #: accept, change of commitment: the committed time, this many hours after the step
    hours: int = 0
    rating: int = 0
    workload: str = ""
    internal: bool = False
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Story:
    project: str
    reporter: str
    title: str
    description: str
    service_type: str
    urgency: str
    start: Start
    steps: tuple[Step, ...] = ()
    channel: str = "web"
    #: who registered it, when not the reporter (the service desk, for a call)
    registered_by: str = ""


def on(days: int, clock: str, *, rest: bool = False) -> Start:
    return Start(days=days, clock=clock, rest=rest)


def ago(**delta: float) -> Start:
    return Start(ago=timedelta(**delta))


def accept(when: When, severity: str = "", hours: int = 24, who: str = LINE1) -> Step:
    return Step("accept", when, who, severity=severity, hours=hours)


def record(when: When, text: str, who: str = LINE1, *, internal: bool = False) -> Step:
    return Step("record", when, who, text, internal=internal)


def ask(when: When, question: str, who: str = LINE1) -> Step:
    return Step("ask_info", when, who, question)


def answer(when: When, text: str) -> Step:
    return Step("answer_info", when, REPORTER, text)


def escalate(when: When, reason: str, who: str = LINE1) -> Step:
    return Step("escalate", when, who, reason)


def recommit(when: When, hours: int, reason: str, who: str = LINE1) -> Step:
    return Step("change_commitment", when, who, reason, hours=hours)


def solve(when: When, solution: str, who: str = LINE1) -> Step:
    return Step("request_close", when, who, solution)


def reject(when: When, reason: str) -> Step:
    return Step("reject_close", when, REPORTER, reason)


def close(when: When, rating: int, workload: str, comment: str = "") -> Step:
    return Step("close", when, REPORTER, comment, rating=rating, workload=workload)


def urge(when: When, message: str = "") -> Step:
    return Step("urge", when, REPORTER, message)


def withdraw(when: When, reason: str) -> Step:
    return Step("withdraw", when, REPORTER, reason)


def attach(when: When, name: str, content: str) -> Step:
    return Step("attach", when, REPORTER, content, fields={"name": name})


def report(when: When, who: str, **fields: str) -> Step:
    return Step("incident_report", when, who, fields=fields)


def out_of_scope(when: When, who: str, change_type: str, workload: str) -> Step:
    return Step("out_of_scope", when, who, change_type, workload=workload)


# --- 新疆师范大学 · 研究生管理系统 ----------------------------------------------------------
GMS: list[Story] = [
    Story(
        "xjnu",
        "user",
        "统一身份认证登录后又跳回登录页",
        "今天上午起，部分导师通过统一身份认证登录研究生系统后，页面又跳回登录页，"
        "反复几次后提示“票据无效”。学生端登录正常。",
        "fault",
        "high",
        on(21, "09:35"),
        (
            accept((0, "09:58"), "SIS2", 8),
            solve(
                (0, "14:10"),
                "已为应用服务器配置 NTP 时间同步并重启单点登录客户端，受影响的导师均可正常登录。",
            ),
            close((1, "09:05"), 5, "3", "恢复很快，谢谢。"),
        ),
    ),
    Story(
        "xjnu",
        "xjnu_survey2",
        "导师无法查看指导学生名单",
        "教育学院多名导师反映，登录后在“我的学生”中看不到指导的研究生，名单为空。",
        "consultation",
        "medium",
        on(20, "10:12"),
        (
            accept((0, "10:40"), "SIS3", 24),
            ask(
                (0, "11:05"),
                "请提供一位无法查看名单的导师工号，以及该导师在“导师管理”中的状态截图。",
            ),
            answer((0, "14:30"), "工号 20150032，状态为“在岗”，截图已发到服务邮箱。"),
            solve(
                (1, "11:00"),
                "已在“导师管理 → 招生资格”中完成审核，导师可看到学生名单；"
                "已向研究生秘书说明操作方法。",
            ),
            close((2, "09:40"), 4, "2"),
        ),
    ),
    Story(
        "xjnu",
        "xjnu_survey3",
        "学位论文上传后无法提交审核",
        "学生上传学位论文 PDF 后，“提交审核”按钮一直是灰色，无法提交。今天已有 15 名学生反映。",
        "bug",
        "high",
        on(17, "09:05"),
        (
            accept((0, "09:25"), "SIS2", 8),
            escalate((0, "11:00"), "前端校验逻辑的问题，需要产品线修改。"),
            accept((0, "11:30"), hours=30, who="expert2"),
            solve(
                (1, "16:00"),
                "已发布补丁 v3.2.1-hotfix2 修正文件名校验，已通知学生重新提交。",
                who="expert2",
            ),
            close((2, "10:20"), 4, "4", "修复较快，建议补丁发布前多测试。"),
        ),
    ),
    Story(
        "xjnu",
        "user",
        "在校生统计报表导出 Excel 超时",
        "在“报表中心 → 在校生统计”导出 Excel，等待约 90 秒后提示超时，其他报表正常。",
        "fault",
        "medium",
        on(15, "16:20"),
        (
            accept((1, "09:10"), "SIS3", 24),
            solve((1, "15:30"), "已为学籍表增加“学院 + 年级”索引，导出时间由 90 秒降至 6 秒。"),
            close((2, "09:00"), 3, "3", "解决了，但用了两天。"),
        ),
    ),
    Story(
        "xjnu",
        "xjnu_survey2",
        "忘记密码，短信验证码一直收不到",
        "晚上来电：导师忘记研究生系统密码，点“忘记密码”后短信验证码一直收不到，明早要审核开题报告。",
        "consultation",
        "low",
        on(14, "20:40"),
        (
            accept((1, "09:05"), "SIS3", 24),
            solve(
                (1, "10:10"),
                "已在统一身份认证后台重置密码并绑定邮箱找回方式；回复“TD”的号码需联系运营商恢复。",
            ),
            close((1, "15:40"), 5, "0.5"),
        ),
        channel="phone",
        registered_by="agent",
    ),
    Story(
        "xjnu",
        "user",
        "导师分配结果未同步到学生端",
        "研究生院完成 2025 级导师分配后，学生端“我的导师”仍显示“未分配”。",
        "bug",
        "medium",
        on(12, "11:02"),
        (
            accept((0, "11:30"), "SIS3", 24),
            solve((0, "16:45"), "已合并重复的导师档案并重新执行同步，学生端均已显示导师。"),
            close((1, "10:30"), 4, "2"),
        ),
    ),
    Story(
        "xjnu",
        "user",
        "研究生系统登录页面 502，全校无法登录",
        "休息日上午 8:40 起，研究生系统登录页面返回 502 Bad Gateway，全校师生都无法登录。",
        "incident",
        "critical",
        on(10, "08:50", rest=True),
        (
            accept((0, "09:12"), "SIS1", 3),
            report(
                (0, "11:30"),
                LINE1,
                what_happened="休息日 8:40 至 10:35，研究生系统登录页面返回 502，全校无法登录。",
                cause="前一天调整负载均衡配置时写错了健康检查地址，全部应用节点被摘除。",
                solution="恢复健康检查地址，逐个节点加回并验证登录。",
                responsible_person="服务工程师 陈刚",
                improvements="负载均衡配置变更纳入变更审批，变更后执行登录拨测。",
            ),
            solve(
                (0, "11:50"),
                "已恢复负载均衡健康检查配置，全校登录正常，持续观察 1 小时无异常。",
            ),
            close((1, "09:20"), 4, "3", "休息日也处理得很及时。"),
        ),
    ),
    Story(
        "xjnu",
        "user",
        "成绩录入时系统报错",
        "导师在“成绩录入”页面点击保存后提示“系统异常”，多名导师均出现。",
        "fault",
        "medium",
        on(7, "10:15"),
        (
            accept((0, "10:40"), "SIS2", 24),
            record((0, "11:30"), "排查：应用日志显示成绩表唯一索引冲突，定位到重复提交。"),
            solve((1, "10:00"), "已修复重复提交问题并清理重复数据。"),
            reject((1, "14:00"), "部分课程仍然报错。"),
            solve((2, "10:00"), "补充修复了跨学期课程的成绩保存逻辑，已验证。"),
            close((3, "09:30"), 5, "6", "处理及时，感谢！"),
        ),
    ),
    Story(
        "xjnu",
        "user",
        "统一身份认证对接后部分导师无法登录",
        "学校统一身份认证升级后，约 40 名外聘导师无法登录研究生系统，提示“用户不存在”。",
        "bug",
        "high",
        on(6, "15:10"),
        (
            accept((0, "15:30"), "SIS2", 8),
            escalate((1, "09:40"), "需要工程专家调整账号映射规则。"),
            accept((1, "10:10"), hours=24, who="expert2"),
            escalate(
                (2, "14:00"), "映射规则涉及产品的账号模型，需要产品专家确认方案。", who="expert2"
            ),
            accept((2, "15:00"), hours=120, who="expert3"),
            record(
                (3, "11:00"),
                "方案已确认：外聘导师按“工号 + 前缀”映射，随下一个补丁版本提供；"
                "其间由研究生院代为操作。",
                who="expert3",
            ),
        ),
    ),
    Story(
        "xjnu",
        "xjnu_survey3",
        "学位论文查重结果未回传",
        "本周送检的 63 篇学位论文，查重平台显示已完成，但研究生系统里查重结果一直是“检测中”。",
        "fault",
        "high",
        on(5, "10:40"),
        (
            accept((0, "11:00"), "SIS2", 8),
            escalate((0, "15:00"), "需要工程专家协调查重平台厂商。"),
            accept((0, "15:40"), hours=48, who="expert2"),
            record((2, "11:30"), "已联系查重平台厂商，新的接口密钥预计明日提供。", who="expert2"),
        ),
    ),
    Story(
        "xjnu",
        "user",
        "培养方案审核流程卡在学院审核环节",
        "培养方案审核流程卡在学院审核环节，学院秘书看不到待办，无法往下走。",
        "fault",
        "high",
        on(3, "09:20"),
        (
            accept((0, "10:05"), "SIS2", 8),
            recommit((0, "15:00"), 26, "需要产品线确认流程引擎的配置。"),
            escalate((1, "09:30"), "流程引擎问题，一线无法修改产品代码。"),
            accept((1, "10:00"), hours=72, who="expert2"),
            urge((2, "16:00"), "下周一培养方案要提交研究生院，请加急处理。"),
            urge(timedelta(hours=2)),
        ),
    ),
    Story(
        "xjnu",
        "user",
        "忘记密码无法登录",
        "忘记研究生系统的密码，无法登录。",
        "consultation",
        "low",
        on(4, "08:45"),
        (withdraw((0, "09:40"), "已通过统一身份认证自助找回密码。"),),
    ),
    Story(
        "xjnu",
        "user",
        "导师信息同步不完整",
        "人事系统中新增的导师没有同步到研究生系统，缺少 12 人。",
        "support",
        "medium",
        on(2, "10:30"),
        (
            accept((0, "11:20"), "SIS3", 24),
            solve((1, "14:00"), "已重新执行人事系统同步任务，缺失的 12 名导师已补齐。"),
        ),
    ),
    Story(
        "xjnu",
        "user",
        "学位论文上传失败，提示文件过大",
        "学生上传学位论文时提示“文件过大”，论文 PDF 约 35 MB。",
        "consultation",
        "low",
        on(1, "09:10"),
        (
            accept((0, "11:00"), "SIS3", 24),
            attach((0, "11:40"), "上传报错截图.txt", "413 Request Entity Too Large"),
            record(
                (0, "14:20"),
                "内部：Nginx client_max_body_size 为 20M，需与学校确认是否可调整。",
                internal=True,
            ),
        ),
    ),
    Story(
        "xjnu",
        "xjnu_survey2",
        "导师账号重置密码后仍提示密码错误",
        "研究生秘书为导师重置密码后，导师用新密码登录仍提示“用户名或密码错误”。",
        "fault",
        "medium",
        on(1, "10:05"),
        (
            accept((0, "10:25"), "SIS3", 24),
            ask((0, "10:50"), "请确认导师是从统一身份认证登录，还是在研究生系统自己的登录页登录？"),
        ),
    ),
    Story(
        "xjnu",
        "user",
        "学位申请审核超时后被自动退回",
        "学院审核学位申请超过 3 天后，申请被系统自动退回给学生，学院并未操作。",
        "bug",
        "high",
        on(1, "15:20"),
        (
            escalate(
                (0, "15:45"), "自动退回由流程引擎的定时任务触发，一线无法处理，请工程专家查看。"
            ),
        ),
    ),
    Story(
        "xjnu",
        "user",
        "新生学号分配规则需要调整",
        "明年起专业学位研究生的学号要增加类别码，想了解系统里怎么调整学号规则。",
        "consultation",
        "low",
        on(1, "19:50"),
    ),
    Story(
        "xjnu",
        "user",
        "研究生系统整体无法访问",
        "今天上午起研究生系统所有页面打不开，返回 502。",
        "incident",
        "critical",
        ago(hours=5),
        (
            accept(timedelta(hours=4, minutes=40), "SIS1", 4),
            escalate(timedelta(hours=4), "数据库无法启动。"),
            accept(timedelta(hours=3), hours=6, who="expert2"),
            report(
                timedelta(hours=1),
                "expert2",
                what_happened="上午 9:10 起研究生系统所有页面返回 502。",
                cause="数据库服务器磁盘写满，Oracle 实例挂起。",
                responsible_person="工程专家 孙涛",
            ),
            out_of_scope(timedelta(minutes=59), "expert2", "expansion", "4"),
        ),
    ),
    Story(
        "xjnu",
        "user",
        "研究生招生系统导出名单中文乱码",
        "从招生模块导出的考生名单用 Excel 打开后，姓名和专业都是乱码。",
        "bug",
        "medium",
        ago(minutes=40),
    ),
]

# --- 昆仑大学 · 学工系统 ----------------------------------------------------------------------
SWS: list[Story] = [
    Story(
        "univ2",
        "user2",
        "学工系统登录提示账号已锁定",
        "来电：辅导员登录学工系统时提示“账号已锁定，请联系管理员”。",
        "fault",
        "medium",
        on(19, "10:30"),
        (
            accept((0, "10:50"), "SIS3", 24),
            solve(
                (0, "11:30"),
                "该账号连续输错密码 5 次被锁定 30 分钟，已手动解锁，并告知自助解锁的方法。",
            ),
            close((0, "15:00"), 5, "0.5"),
        ),
        channel="phone",
        registered_by="agent",
    ),
    Story(
        "univ2",
        "univ2_aid",
        "困难认定名单无法导出",
        "资助管理中心导出困难认定名单时提示“模板错误”。",
        "bug",
        "medium",
        on(6, "11:00"),
        (
            accept((0, "11:20"), "SIS3", 24),
            solve((1, "15:00"), "导出模板缺少新增的“认定等级”一列，已修正模板。"),
        ),
    ),
    Story(
        "univ2",
        "user2",
        "学生请假审批无法提交",
        "学生提交请假申请时提示“审批人为空”。",
        "fault",
        "medium",
        on(2, "14:10"),
        (accept((0, "15:00"), "SIS3", 24),),
    ),
    Story(
        "univ2",
        "user2",
        "奖助学金名单审核后状态不更新",
        "来电：学院审核通过奖助学金名单后，学生端仍显示“审核中”。",
        "fault",
        "medium",
        ago(hours=6),
        channel="phone",
        registered_by="agent",
    ),
]

STORIES: list[Story] = [*GMS, *SWS]

#: colleagues of the demo customers who report problems too (accounts that cannot log in);
#: 新疆师范大学's are those who answer the demo's survey (``surveys.demo.RESPONDENTS``), the
#: same accounts, so that the survey's invitations stay as they are
COLLEAGUES = {
    "xjnu_survey2": ("xjnu", "研究生院 张老师"),
    "xjnu_survey3": ("xjnu", "学位办 赵老师"),
    "univ2_aid": ("univ2", "资助管理中心 陈老师"),
}
