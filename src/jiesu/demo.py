"""`jiesu demo`: a realistic fortnight of Beijing community work, filed through the real services.

Every story calls the same service functions as the commands, with `at`
times in the past fortnight, so the demo book is what a fortnight of typing
would have made.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from jiesu import cases, ledger
from jiesu.cases import Draft
from jiesu.office import Office
from jiesu.vocab import Channel, Level, Nature, Result, Satisfaction, Urgency


class _Clock:
    """Times in the past fortnight, in the office's zone, never later than now."""

    def __init__(self, office: Office) -> None:
        self.office = office
        self.today = office.now.astimezone(office.tz).date()

    def __call__(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        moment = datetime.combine(self.today - timedelta(days=days_ago), time(hour, minute), tzinfo=self.office.tz)
        return min(moment, self.office.now - timedelta(minutes=days_ago + 1))

    def hours_ago(self, hours: float) -> datetime:
        return self.office.now - timedelta(hours=hours)


def fill(office: Office) -> int:
    """Fill the office's (fresh) case book with the demo stories; returns how many cases were filed."""
    at = _Clock(office)
    filed = 0

    def new(summary: str, when: datetime, **fields) -> int:
        nonlocal filed
        filed += 1
        return cases.file_case(office, Draft(summary, received_at=when, **fields)).id

    # A blocked drain: the property company stalls, the street steps in, fixed.
    drain = new("3号楼下水管道堵塞，污水返到一楼", at(13, 8, 40), phone="13811112222", name="刘阿姨",
                address="前门东大街3号楼", community="前门社区", category="物业管理/下水管道", nature=Nature.REASONABLE)
    cases.assign(office, drain, "前门物业", at=at(13, 9))
    cases.contact(office, drain, "电话联系刘阿姨，物业称需业委会同意", at=at(13, 10))
    cases.visit(office, drain, "上门查看，一楼积水", at=at(13, 15))
    cases.escalate(office, drain, "物业推诿，需街道协调", at=at(12, 9))
    cases.visit(office, drain, "街道约物业现场疏通", at=at(11, 10))
    cases.close(office, drain, Result.RESOLVED, "管道疏通，化粪池清掏", at=at(11, 16))
    cases.revisit(office, drain, Satisfaction.SATISFIED, True, "恢复正常", at=at(10, 10))

    # The 大兴 group rental: closed twice, reopened twice, the 3 a.m. visit.
    rental = new("楼上群租房隔断十几人，夜里吵闹", at(12, 21), phone="13922223333", address="兴华小区7号楼501",
                 community="兴华社区", category="房屋管理/群租房", nature=Nature.REASONABLE)
    cases.assign(office, rental, "街道综合执法队", at=at(12, 22))
    cases.contact(office, rental, "电话回复诉求人", at=at(12, 22, 30))
    cases.visit(office, rental, "上门核查，隔断 6 间", at=at(11, 15))
    cases.close(office, rental, Result.RESOLVED, "责令房东拆除隔断", at=at(10, 17))
    cases.revisit(office, rental, Satisfaction.UNSATISFIED, False, "隔断又装回去了", at=at(9, 10))
    cases.visit(office, rental, "再次上门，房东不在", at=at(8, 11))
    cases.close(office, rental, Result.RESOLVED, "联系房东承诺整改", at=at(7, 17))
    cases.revisit(office, rental, Satisfaction.UNSATISFIED, False, "还是十几个人住", at=at(6, 10))
    cases.escalate(office, rental, "两次重办，提请街道联合执法", at=at(6, 11))
    cases.visit(office, rental, "凌晨联合执法，现场拆除隔断", at=at(4, 3))
    cases.close(office, rental, Result.RESOLVED, "隔断全部拆除，租户已搬离", at=at(4, 6))
    cases.revisit(office, rental, Satisfaction.SATISFIED, True, "终于安静了", at=at(3, 10))

    # 观澜时代: thirty parking calls in one day — a hotspot before anyone plans it.
    parking = [
        new("小区门口乱停车堵住消防通道", at(1, 7 + n // 3, (n * 7) % 60), phone=f"1370000{n:04d}",
            community="观澜时代社区", category="交通/停车", channel=Channel.HOTLINE)
        for n in range(30)
    ]
    cases.classify(office, parking[0], Nature.REASONABLE, "物业与交警协调", at=at(1, 18))
    cases.assign(office, parking[0], "观澜时代物业", at=at(1, 18, 10))
    for duplicate in parking[1:6]:
        cases.merge(office, duplicate, parking[0], at=at(1, 18, 20))

    # A half-removed illegal structure, found on the follow-up visit.
    shed = new("院内違建彩钢房", at(11, 9), phone="13633334444", address="草厂三条12号院",
               community="草厂社区", category="城市管理/违建", nature=Nature.REASONABLE)
    cases.assign(office, shed, "街道城管科", at=at(11, 10))
    cases.contact(office, shed, "告知诉求人已派城管", at=at(11, 10, 30))
    cases.visit(office, shed, "现场核实，下达限期拆除通知", at=at(10, 14))
    cases.close(office, shed, Result.RESOLVED, "当事人承诺自行拆除", at=at(8, 17))
    cases.revisit(office, shed, Satisfaction.UNSATISFIED, False, "只拆了一半", at=at(6, 15))
    cases.visit(office, shed, "复查发现只拆除一半，顶棚仍在", at=at(5, 10))

    # Prepaid gym refunds: not the office's to order, but explained face to face.
    for n, who in enumerate(["赵先生", "钱女士", "孙先生", "李女士"]):
        gym = new("健身房闭店，预付卡无法退费", at(9 - n, 10 + n), phone=f"1350000{n:04d}", name=who,
                  community="大栅栏社区", category="消费维权/预付卡", channel=Channel.WALKIN, nature=Nature.CONSULT)
        cases.contact(office, gym, "说明可向市场监管部门投诉并保留凭证", at=at(9 - n, 11 + n))
        cases.close(office, gym, Result.ANSWERED, "告知维权途径，协助填写投诉材料", at=at(9 - n, 12 + n))
        cases.revisit(office, gym, Satisfaction.BASIC if n % 2 else Satisfaction.SATISFIED, n != 3, at=at(8 - n, 10))

    # Heating: the season has begun; one urgent case is already late.
    cold = new("暖气不热，室温只有 14 度", at(2, 8), phone="13744445555", community="前门社区",
               category="供暖/室温不达标", nature=Nature.REASONABLE)
    cases.assign(office, cold, "热力公司", at=at(2, 9))
    cases.contact(office, cold, "热力公司已约上门", at=at(2, 10))
    cases.visit(office, cold, "排气阀排气，室温升至 19 度", at=at(1, 15))
    cases.close(office, cold, Result.RESOLVED, "室温达标", at=at(1, 16))
    cases.revisit(office, cold, Satisfaction.SATISFIED, True, at=at(1, 19))
    frozen = new("家中老人卧床，暖气完全不热", at(2, 20), phone="13755556666", community="大栅栏社区",
                 category="供暖/不热", urgency=Urgency.URGENT, nature=Nature.REASONABLE)
    cases.assign(office, frozen, "热力公司", at=at(2, 20, 30))

    # The weekly on-site desk: three handled on the spot, two on the ledger.
    desk_items = [
        ("楼道感应灯坏了", True), ("垃圾桶满溢未清运", True), ("健身器材螺丝松动", True),
        ("老旧小区主管道锈蚀，水黄", False), ("地下室长期积水", False),
    ]
    for n, (summary, on_the_spot) in enumerate(desk_items):
        item = new(summary, at(7, 9, 10 * n), community="前门社区", category="物业管理/设施",
                   channel=Channel.DESK, nature=Nature.REASONABLE)
        if on_the_spot:
            cases.close(office, item, Result.RESOLVED, "现场协调物业当场处理", at=at(7, 11))
        else:
            ledger.add_entry(office, item, "协调产权单位制定改造方案", "街道城管科", due=at(7, 12) + timedelta(days=90), at=at(7, 12))

    # Today's intake, so the report has a today.
    for hours, summary, category in ((3, "小区门口井盖松动", "市政/井盖"), (2, "楼下餐馆油烟扰民", "环境/油烟"), (1, "咨询老年卡办理", "政策咨询/老年人")):
        new(summary, at.hours_ago(hours), community="前门社区", category=category, phone="13866667777")

    cases.escalate(office, shed, "拆除不彻底，提请区城管执法", to=Level.DISTRICT, at=at(5, 11))
    return filed
