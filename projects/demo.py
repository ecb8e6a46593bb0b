"""Demo data for 嵊州 (issue 2 item 7): about 60 projects in every state, problems, notes, logins.

Everything is dated relative to today, so "overdue" stays true whenever it is loaded, and goes in
through the product's own paths: the projects through the ledger import (the UI's transitions and
guards), suspensions, terminations, problems, instructions and notes through projects.services.
"""

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl
from django.contrib.auth import get_user_model
from django.db import transaction

from milestones import factor_services
from milestones.dates import add_months
from projects import ledger, services
from projects.models import Leader, Profile, Project, Role, Unit, local_today

DEMO_PASSWORD = "Demo@2026sz"

LEADERS = [
    ("市长", "市长"),
    ("市委副书记", "市委副书记"),
    ("常务副市长", "常务副市长"),
    ("副市长（分管工业）", "副市长"),
    ("副市长（分管城建）", "副市长"),
]

# (username, role, unit name, leader name, superuser)
LOGINS = [
    ("center", Role.CENTER, "市招商投资中心", None, False),
    ("leader", Role.LEADER, None, "常务副市长", False),
    ("unit", Role.UNIT, "市经信局", None, False),
    ("admin", Role.ADMIN, None, None, True),
]


@dataclass
class DemoProject:
    """One demo deal. Dates are days relative to today: `sign_ago` days ago it signed (negative:
    a lead expected to sign in that many days); `gaps` are the days from each done step to the
    next (land, start, statistics, production; land skipped when no new land is needed)."""

    cluster: str
    name: str
    investor: str
    amount: float
    amount_unit: str
    platform: str
    unit: str
    leader: str | None
    sign_ago: int
    gaps: tuple = ()
    land: bool = True
    area: int = 60
    manufacturing: bool = True
    source: str = "外引"
    channel: str = "产业链招商"
    lead: bool = False
    suspend: str = ""  # reason: suspended some time after its last step
    terminate: str = ""
    agreed_months: dict = field(default_factory=dict)  # node -> months after signing, from the agreement


P = DemoProject
PROJECTS = [
    # --- 已投产 (in production) ---
    P("智能家居", "剡溪智能集成灶智能工厂项目", "浙江剡溪智能厨电有限公司", 3.2, "亿元", "嵊州经济开发区", "市经信局",
      "常务副市长", 1000, (60, 75, 30, 420), source="内生", channel="其他"),
    P("高端装备", "越韵精机五轴数控机床项目", "浙江越韵精密机械有限公司", 15000, "万元", "高新园区", "市经信局",
      "副市长（分管工业）", 980, (90, 60, 35, 480)),
    P("现代纺织", "嵊发真丝领带智能化生产线项目", "嵊州嵊发服饰有限公司", 8000, "万元", "三江街道", "市商务局", None,
      930, (70, 40, 500), land=False, source="内生", channel="其他"),
    P("新能源汽车及零部件", "曹娥新能源汽车电机壳体项目", "浙江曹娥汽车零部件有限公司", 2.1, "亿元", "嵊州经济开发区",
      "市经信局", "副市长（分管工业）", 900, (75, 60, 30, 430)),
    P("生物医药与健康", "会稽药业中药配方颗粒项目", "浙江会稽药业有限公司", 1.6, "亿元", "甘霖镇", "市科技局", "市委副书记",
      880, (80, 70, 30, 400), channel="亲情招商"),
    P("高端新材料", "四明新材高性能碳纤维预浸料项目", "宁波四明新材料有限公司", 2500, "万美元", "高新园区",
      "市招商投资中心", "市长", 860, (60, 90, 40, 380), channel="基金招商"),
    P("智能家居", "鹿山电器厨房电机扩产项目", "嵊州鹿山电器有限公司", 6000, "万元", "鹿山街道", "市经信局", None,
      820, (50, 40, 420), land=False, source="内生", channel="其他"),
    P("其他", "嵊州智慧冷链物流中心项目", "浙江天姥冷链物流有限公司", 1.2, "亿元", "高铁新城", "高铁新城", "副市长（分管城建）",
      800, (90, 80, 30, 450), manufacturing=False, channel="以商引商"),
    # --- 已入库 (in statistics) ---
    P("新能源汽车及零部件", "越动科技一体化压铸车身件项目", "越动科技（浙江）有限公司", 12, "亿元", "嵊州经济开发区",
      "开发区（高新园区）", "市长", 650, (70, 60, 30), area=320, channel="产业链招商",
      agreed_months={"production": 24}),
    P("高端装备", "艇湖智能工业机器人减速器项目", "浙江艇湖智能装备有限公司", 3.5, "亿元", "高新园区", "市经信局",
      "副市长（分管工业）", 760, (60, 80, 30)),  # production (start + 18 months) overdue: red
    P("智能家居", "澄潭厨电高端吸油烟机项目", "浙江澄潭厨电科技有限公司", 1.1, "亿元", "长乐镇", "市经信局", None,
      520, (60, 70, 25), channel="以商引商"),
    P("生物医药与健康", "越康生物创新药制剂基地项目", "越康生物医药（绍兴）有限公司", 5, "亿元", "高新园区", "市科技局",
      "市委副书记", 480, (80, 60, 30), area=150, channel="基金招商"),
    P("现代纺织", "嵊州丝绸数码印花面料项目", "浙江嵊丝纺织科技有限公司", 9000, "万元", "崇仁镇", "市商务局", None,
      420, (50, 30), land=False, source="内生", channel="其他"),
    P("合成生物", "绿源合成生物基尼龙材料项目", "上海绿源合成生物科技有限公司", 4.2, "亿元", "三界镇", "市发改局", "常务副市长",
      460, (60, 70, 35), area=200, channel="基金招商"),
    P("高端新材料", "华越电子级特种气体项目", "华越特种气体（浙江）有限公司", 1800, "万美元", "嵊州经济开发区", "市发改局",
      "副市长（分管工业）", 400, (70, 50, 30), area=80),
    P("氢能与新型储能", "储能科技工商业储能系统项目", "浙江嵊能储能科技有限公司", 2.8, "亿元", "高新园区",
      "开发区（高新园区）", "常务副市长", 380, (45, 60, 30), area=120),
    # --- 已开工 (started) ---
    P("新能源汽车及零部件", "汇川动力车规级功率模块项目", "苏州汇川动力电子有限公司", 6, "亿元", "嵊州经济开发区",
      "开发区（高新园区）", "市长", 400, (90, 120), area=180),  # statistics overdue: red
    P("智能家居", "美越智能洗碗机项目", "浙江美越智能家电有限公司", 2, "亿元", "高铁新城", "高铁新城", "副市长（分管城建）",
      260, (80, 135), area=110),  # started 45 days ago: statistics overdue, yellow
    P("高端装备", "嵊州风电齿轮箱智能制造项目", "浙江天姥传动科技有限公司", 4, "亿元", "三界镇", "市经信局",
      "副市长（分管工业）", 240, (70, 150), area=160),  # started 20 days ago: statistics due soon
    P("生物医药与健康", "康瑞医疗高值耗材产业园项目", "康瑞医疗器械（杭州）有限公司", 1.5, "亿元", "高新园区", "市科技局",
      None, 200, (60, 132), area=70),
    P("空天信息", "星联空天卫星通信终端项目", "北京星联空天科技有限公司", 3, "亿元", "高铁新城", "市招商投资中心", "市长",
      230, (60, 160), area=90, channel="基金招商"),
    P("现代纺织", "越绣功能性运动面料项目", "浙江越绣纺织有限公司", 7500, "万元", "黄泽镇", "市商务局", None,
      150, (130,), land=False),
    P("未来医疗", "精诚手术机器人研发生产项目", "深圳精诚医疗机器人有限公司", 2.2, "亿元", "高新园区", "市科技局",
      "市委副书记", 300, (75, 110), area=60, channel="亲情招商"),
    P("高端新材料", "嵊新材料高端电解铜箔项目", "江西嵊新材料科技有限公司", 8, "亿元", "嵊州经济开发区", "市发改局",
      "常务副市长", 330, (80, 200), area=260),
    P("其他", "越剧小镇文旅综合体项目", "浙江越剧文化旅游发展有限公司", 3, "亿元", "甘霖镇", "市发改局", "副市长（分管城建）",
      280, (90, 150), area=140, manufacturing=False, channel="其他"),
    P("智能家居", "嵊州集成灶产业链配套园项目", "嵊州厨具产业发展有限公司", 1.3, "亿元", "浦口街道", "市经信局", None,
      210, (70, 95), area=90, source="内生", channel="其他"),
    # --- 已供地 (land acquired) ---
    P("新能源汽车及零部件", "宁越汽车热管理系统项目", "宁波宁越汽车部件有限公司", 2.6, "亿元", "嵊州经济开发区", "市经信局",
      "副市长（分管工业）", 260, (110,), area=100),  # start overdue ~60 days: red
    P("高端装备", "正泰嵊州智能电气装备项目", "浙江正嵊电气有限公司", 5.5, "亿元", "高新园区", "开发区（高新园区）", "市长",
      250, (150,), area=220),  # start overdue ~8 days: yellow
    P("合成生物", "聚源合成生物基香料项目", "杭州聚源生物科技有限公司", 1.8, "亿元", "三界镇", "市科技局", None,
      160, (130,), area=70, channel="基金招商"),
    P("生物医药与健康", "瑞康生物体外诊断试剂项目", "上海瑞康生物科技有限公司", 1200, "万美元", "高新园区", "市科技局",
      "市委副书记", 200, (110,), area=50),
    P("智能家居", "嵊舟智能晾衣机项目", "浙江嵊舟智能家居有限公司", 1.05, "亿元", "剡湖街道", "市经信局", None,
      190, (120,), area=45, source="内生", channel="其他"),
    P("氢能与新型储能", "氢途燃料电池电堆项目", "上海氢途能源科技有限公司", 3.6, "亿元", "嵊州经济开发区", "市发改局",
      "常务副市长", 300, (160,), area=130, agreed_months={"start": 9}),
    P("高端新材料", "越新新型显示光学膜项目", "浙江越新光电材料有限公司", 2.4, "亿元", "长乐镇", "市发改局", None,
      140, (100,), area=85),
    P("空天信息", "北斗星通高精度导航模组项目", "北斗星通（嵊州）科技有限公司", 1.4, "亿元", "高铁新城", "市招商投资中心",
      "副市长（分管城建）", 170, (95,), area=40),
    P("现代纺织", "天衣纺织高端服饰产业园项目", "浙江天衣服饰有限公司", 1.2, "亿元", "三江街道", "市商务局", None,
      230, (140,), area=75, source="内生", channel="其他"),
    # --- 已签约 (signed) ---
    P("高端装备", "华科精密液压件项目", "江苏华科液压有限公司", 2.2, "亿元", "嵊州经济开发区", "市经信局", "副市长（分管工业）",
      300),  # land overdue ~120 days: red
    P("新能源汽车及零部件", "嵊亚新能源汽车电驱总成项目", "嵊亚动力科技（上海）有限公司", 15, "亿元", "嵊州经济开发区",
      "开发区（高新园区）", "市长", 210, area=350, agreed_months={"land": 6, "start": 10, "production": 30}),
    P("生物医药与健康", "越医堂医用敷料项目", "浙江越医堂医疗用品有限公司", 6500, "万元", "黄泽镇", "市科技局", None, 200,
      area=40),  # land overdue ~17 days: yellow
    P("智能家居", "尚厨智能嵌入式厨电项目", "佛山尚厨电器有限公司", 3, "亿元", "高新园区", "市经信局", "常务副市长",
      176, area=100),  # land due within the fortnight
    P("高端新材料", "金越特种合金材料项目", "浙江金越合金有限公司", 1.9, "亿元", "三界镇", "市发改局", None, 95, area=80),
    P("未来医疗", "康影高端医学影像设备项目", "康影医疗科技（苏州）有限公司", 4.5, "亿元", "高新园区", "市科技局", "市委副书记",
      60, area=120),
    P("现代纺织", "丝路领带数字化工厂改造项目", "嵊州丝路领带有限公司", 5000, "万元", "剡湖街道", "市经信局", None, 120,
      land=False, source="内生", channel="其他"),  # no new land: start overdue (sign + 3 months)
    P("高端装备", "嵊电高效节能电机技改项目", "嵊州嵊电电机有限公司", 1.1, "亿元", "鹿山街道", "市经信局", None, 45,
      land=False, source="内生", channel="其他"),
    P("氢能与新型储能", "储源钠离子电池项目", "深圳储源新能源科技有限公司", 1.2, "亿美元", "嵊州经济开发区",
      "市招商投资中心", "市长", 30, area=300, channel="基金招商"),
    P("合成生物", "生合科技生物基可降解材料项目", "生合科技（杭州）有限公司", 2.7, "亿元", "三界镇", "市发改局", "常务副市长",
      75, area=110),
    P("空天信息", "天巡遥感无人机载荷项目", "西安天巡空天科技有限公司", 9000, "万元", "高铁新城", "高铁新城", None, 20,
      area=35),
    P("其他", "嵊州数字经济产业园项目", "浙江数嵊科技发展有限公司", 2, "亿元", "高铁新城", "高铁新城", "副市长（分管城建）",
      150, area=90, manufacturing=False, channel="其他"),
    # --- 已暂停 (suspended) ---
    P("高端新材料", "越隆高纯石英砂项目", "江苏越隆新材料有限公司", 3, "亿元", "崇仁镇", "市发改局", "副市长（分管工业）",
      420, (120,), area=150, suspend="投资方资金链紧张，项目暂缓推进"),
    P("新能源汽车及零部件", "驰越汽车轻量化底盘件项目", "驰越汽车科技（宁波）有限公司", 1.6, "亿元", "嵊州经济开发区",
      "市经信局", None, 330, area=90, suspend="能耗指标未落实，项目暂停"),
    P("生物医药与健康", "百草堂中药提取物项目", "浙江百草堂药业有限公司", 8000, "万元", "甘霖镇", "市科技局", None,
      560, (70, 100), area=60, suspend="环评审批调整，暂停建设"),
    P("智能家居", "嵊康智能马桶项目", "浙江嵊康卫浴有限公司", 1.3, "亿元", "长乐镇", "市经信局", "常务副市长", 250,
      land=False, suspend="企业战略调整，等待集团决策"),
    # --- 已终止 (terminated) ---
    P("高端装备", "远达重工矿山机械项目", "山东远达重工有限公司", 2, "亿元", "三界镇", "市经信局", None, 700,
      terminate="投资方撤回投资"),
    P("现代纺织", "锦华化纤差别化纤维项目", "江苏锦华化纤有限公司", 4, "亿元", "崇仁镇", "市发改局", "市长", 600, (90,),
      area=180, terminate="项目不符合新能耗政策，终止合作"),
    P("其他", "嵊州商贸综合体项目", "浙江嵊城商业管理有限公司", 1.5, "亿元", "剡湖街道", "市商务局", None, 500,
      manufacturing=False, channel="其他", terminate="双方协商一致解除协议"),
    P("氢能与新型储能", "绿氢制备示范项目", "北京绿氢科技有限公司", 5, "亿元", "三界镇", "市发改局", "常务副市长", 0, lead=True,
      terminate="技术路线未达预期，终止洽谈"),
    # --- 在谈 (leads) ---
    P("高端装备", "华锐半导体装备精密零部件项目", "华锐精密（上海）有限公司", 6, "亿元", "高新园区", "市招商投资中心", "市长",
      -45, lead=True, area=150),
    P("新能源汽车及零部件", "极越智能驾驶域控制器项目", "极越智驾科技（杭州）有限公司", 20, "亿元", "嵊州经济开发区",
      "市招商投资中心", "常务副市长", -90, lead=True, area=400, channel="基金招商"),
    P("合成生物", "蓝晶合成生物医美原料项目", "蓝晶合成生物（北京）有限公司", 1.5, "亿元", "三界镇", "市招商投资中心", None,
      -30, lead=True, area=60),
    P("未来医疗", "脑机接口康复设备项目", "杭州神念医疗科技有限公司", 3000, "万美元", "高新园区", "市招商投资中心",
      "市委副书记", -60, lead=True, area=50, channel="亲情招商"),
    P("智能家居", "嵊州厨电出海智能制造基地项目", "嵊州厨电出海产业投资有限公司", 2.5, "亿元", "高铁新城",
      "市招商投资中心", None, -20, lead=True, area=120, source="内生", channel="以商引商"),
]

# land, start, statistics, production: 达产 is reached through the service (_add_capacity).
STEP_HEADERS = [ledger.ACTUAL_HEADERS[node] for node in ("land", "start", "statistics", "production")]

# Problems (section 7): (project name, category, description, unit, raised days ago, state)
PROBLEMS = [
    ("华科精密液压件项目", "land", "用地指标尚未落实，地块征迁涉及 12 户农户未签约", "市自然资源局", 25, "open"),
    ("宁越汽车热管理系统项目", "approval", "施工许可证办理卡在消防设计审查环节", "市住建局", 12, "open"),
    ("驰越汽车轻量化底盘件项目", "energy", "新增用能 1.2 万吨标煤，能耗指标缺口较大", "市发改局", 40, "open"),
    ("嵊亚新能源汽车电驱总成项目", "land", "350 亩用地需调整国土空间规划，报批周期长", "市自然资源局", 20, "replied"),
    ("汇川动力车规级功率模块项目", "funding", "企业申请设备补助资金，需明确兑现时间", "市财政局", 30, "resolved"),
    ("越医堂医用敷料项目", "approval", "医疗器械生产许可证办理材料不全", "市市场监管局", 5, "open"),
    ("越动科技一体化压铸车身件项目", "other", "企业招工缺口约 300 人，需人社部门协助", "市人力社保局", 9, "open"),
    ("正泰嵊州智能电气装备项目", "energy", "双回路供电线路接入方案待确定", "市发改局", 16, "replied"),
]
INSTRUCTIONS = [
    ("华科精密液压件项目", "常务副市长", "请市自然资源局会同开发区一周内拿出征迁方案，确保年内供地。"),
    ("驰越汽车轻量化底盘件项目", "副市长（分管工业）", "请市发改局统筹能耗指标，优先保障亿元以上制造业项目。"),
    ("嵊亚新能源汽车电驱总成项目", "市长", "重大项目，请自然资源局专班推进规划调整，每周报进展。"),
]
NOTES = [
    ("越动科技一体化压铸车身件项目", "主体厂房已封顶，压铸岛设备进场安装中。"),
    ("汇川动力车规级功率模块项目", "桩基工程完成 80%，计划下月开始主体施工。"),
    ("嵊亚新能源汽车电驱总成项目", "已完成项目备案，正在开展环评和能评。"),
    ("华科精密液压件项目", "征迁工作推进缓慢，已提请市领导协调。"),
    ("美越智能洗碗机项目", "一期厂房开工建设，入库材料准备中。"),
    ("尚厨智能嵌入式厨电项目", "地块挂牌公告已发布，预计本月底摘牌。"),
    ("剡溪智能集成灶智能工厂项目", "智能工厂一期投产，年产集成灶 20 万台。"),
    ("储源钠离子电池项目", "投资协议已签订，项目公司注册完成。"),
    ("极越智能驾驶域控制器项目", "第三轮商务洽谈完成，正在对接基金方案。"),
]


# 标准地 and 达产 (section 10), applied to in-production demo projects after the import:
# (project name, agreed indicators, 达产复核 values or None, days after production it reached capacity
# or None, agreed 达产 date in months after production or None).
_A = "agreed_"
CAPACITY = [
    # 达标: every indicator beyond what was agreed.
    ("剡溪智能集成灶智能工厂项目",
     {"investment_intensity": 300, "tax_per_mu": 30, "output_per_mu": 600, "plot_ratio": 1.2, "energy_per_output": 0.08},
     {"fixed_investment": 21000, "yearly_tax": 2100, "yearly_output": 39000, "plot_ratio": 1.5, "energy_per_output": 0.06},
     380, None),
    # 未达标: investment intensity 330 against 350 agreed (−5.7%).
    ("越韵精机五轴数控机床项目", {"investment_intensity": 350, "tax_per_mu": 40, "plot_ratio": 1.5},
     {"fixed_investment": 19800, "yearly_tax": 2520, "yearly_output": 30000, "plot_ratio": 1.6}, 290, None),
    # 未达标: energy use above the agreed ceiling.
    ("四明新材高性能碳纤维预浸料项目", {"output_per_mu": 500, "energy_per_output": 0.1},
     {"fixed_investment": 18000, "yearly_tax": 1500, "yearly_output": 33000, "energy_per_output": 0.12}, 260, None),
    # No land (零土地技改): only 单位能耗 agreed, met exactly at the agreed value.
    ("鹿山电器厨房电机扩产项目", {"energy_per_output": 0.05}, {"energy_per_output": 0.05}, 330, None),
    # In production, agreed, not reviewed yet (未复核).
    ("曹娥新能源汽车电机壳体项目", {"investment_intensity": 250, "tax_per_mu": 25}, None, None, None),
    # In production with an agreed 达产 date 9 months after production: overdue.
    ("会稽药业中药配方颗粒项目", {"tax_per_mu": 20}, None, None, 9),
]


def _add_capacity(projects, today, user):
    """Section 10 on the demo: agree 标准地 indicators, record 达产复核 values, reach capacity."""
    for name, agreed, actual, reached_after, capacity_months in CAPACITY:
        project = projects[name]
        production = project.nodes.get(node_type="production").actual_date
        planned = {"capacity": add_months(production, capacity_months)} if capacity_months else None
        services.project_update(project=project, user=user, planned_dates=planned,
                                **{f"{_A}{key}": Decimal(str(value)) for key, value in agreed.items()})
        if reached_after is None:
            continue
        on = min(today, production + datetime.timedelta(days=reached_after))
        values = {f"actual_{key}": Decimal(str(value)) for key, value in actual.items()}
        services.capacity_review(project=project, user=user, reviewed_on=on, values=values, today=today)
        services.project_transition(project=project, name="reach_capacity", user=user, effective_date=on, today=today)


@dataclass
class DemoResult:
    created_projects: int = 0
    skipped: bool = False
    logins: list = field(default_factory=list)


def _day(today, days_ago):
    return today - datetime.timedelta(days=days_ago)


def demo_rows(today):
    """The ledger rows of the demo projects, dated relative to `today`."""
    rows, events = [], {}
    counters = {}
    ordered = sorted(PROJECTS, key=lambda p: -p.sign_ago)
    for project in ordered:
        signing = _day(today, project.sign_ago) if not project.lead else today + datetime.timedelta(days=-project.sign_ago)
        year = signing.year if not project.lead or project.sign_ago < 0 else today.year
        counters[year] = counters.get(year, 0) + 1
        row = {
            "项目编号": f"SZ{year}-{counters[year]:03d}",
            "项目名称": project.name, "投资方": project.investor, "总投资": project.amount,
            "计量单位": project.amount_unit, "是否制造业": "是" if project.manufacturing else "否",
            "产业集群": project.cluster, "项目来源": project.source, "招商方式": project.channel,
            "所在平台": project.platform, "责任单位": project.unit, "联系市领导": project.leader,
            "是否需新供地": "是" if project.land else "否", "用地面积（亩）": project.area if project.land else None,
        }
        if project.lead:
            row["状态"] = "在谈"
            row["签约日期"] = signing if project.sign_ago < 0 else None
            rows.append(row)
            continue
        row["签约日期"] = signing
        for node, months in project.agreed_months.items():
            row[ledger.PLANNED_HEADERS[node]] = add_months(signing, months)
        headers = STEP_HEADERS if project.land else STEP_HEADERS[1:]
        last = signing
        for header, gap in zip(headers, project.gaps):
            last = last + datetime.timedelta(days=gap)
            row[header] = last
        if len(project.gaps) >= len(headers) - 1:
            row["统计库项目代码"] = _stats_code(project.name)
        events[project.name] = last
        rows.append(row)
    return rows, events


def _stats_code(name):
    """A stable, plausible 14-digit statistics code (330683 is 嵊州's area code)."""
    return f"330683{sum(ord(ch) * (i + 1) for i, ch in enumerate(name)) % 10**8:08d}"


def _workbook(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(ledger.HEADERS)
    for row in rows:
        sheet.append([row.get(header) for header in ledger.HEADERS])
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream


@transaction.atomic
def load_demo(*, today=None) -> DemoResult:
    """Load the demo; idempotent: the projects are loaded once, the logins are (re)set every time."""
    today = today or local_today()
    result = DemoResult()
    leaders = _leaders()
    result.logins = _logins(leaders)
    admin = get_user_model().objects.get(username="admin")
    if Project.objects.filter(name__in=[p.name for p in PROJECTS]).exists():
        result.skipped = True
        return result
    rows, events = demo_rows(today)
    imported = ledger.import_ledger(path_or_file=_workbook(rows), user=admin, today=today)
    if not imported.ok:
        raise RuntimeError("demo ledger refused: " + "; ".join(imported.errors))
    result.created_projects = len(imported.created)
    projects = {p.name: p for p in Project.objects.filter(name__in=[p.name for p in PROJECTS])}
    _pause_and_stop(projects, events, today, admin)
    _add_capacity(projects, today, admin)
    _problems(projects, leaders, today, admin)
    _factor_needs(projects, today, admin)
    return result


def _leaders():
    leaders = {}
    for order, (name, title) in enumerate(LEADERS):
        leaders[name], _ = Leader.objects.update_or_create(name=name, defaults={"title": title, "sort_order": order})
    return leaders


def _logins(leaders):
    User = get_user_model()
    logins = []
    for username, role, unit_name, leader_name, superuser in LOGINS:
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
        unit = Unit.objects.get(name=unit_name) if unit_name else None
        Profile.objects.update_or_create(user=user, defaults={"role": role, "unit": unit})
        if leader_name:
            leader = leaders[leader_name]
            leader.user = user
            leader.save(update_fields=["user"])
        logins.append((username, DEMO_PASSWORD, Role(role).label, unit_name or leader_name or ""))
    return logins


def _pause_and_stop(projects, events, today, user):
    """Suspensions and terminations dated in the past (the import would date them today)."""
    for demo in PROJECTS:
        if not (demo.suspend or demo.terminate):
            continue
        project = projects[demo.name]
        last = events.get(demo.name) or _day(today, max(demo.sign_ago, 60))
        on = min(today, last + datetime.timedelta(days=45))
        name, reason = ("suspend", demo.suspend) if demo.suspend else ("terminate", demo.terminate)
        services.project_transition(project=project, name=name, user=user, effective_date=on, reason=reason,
                                    today=today)


def _problems(projects, leaders, today, user):
    units = {unit.name: unit for unit in Unit.objects.all()}
    problems = {}
    for name, category, description, unit, ago, state in PROBLEMS:
        raised = _day(today, ago)
        problem = services.problem_raise(project=projects[name], user=user, category=category,
                                         description=description, assigned_unit=units[unit], raised_on=raised)
        if state in ("replied", "resolved"):
            services.problem_reply(problem=problem, reply="已对接企业，正在按程序办理，预计两周内完成。",
                                   replied_on=raised + datetime.timedelta(days=4))
        if state == "resolved":
            services.problem_resolve(problem=problem, resolution="已协调解决。",
                                     resolved_on=raised + datetime.timedelta(days=12))
        problems[name] = problem
    for name, leader_name, text in INSTRUCTIONS:
        leader = leaders[leader_name]
        services.problem_instruct(problem=problems[name], leader=leader, text=text, user=leader.user)
    for name, text in NOTES:
        project = projects[name]
        services.progress_note_add(project=project, text=text, user=user, unit=project.responsible_unit)


# --- 要素保障 (DOMAIN.md section 11): needs in every status ----------------------------------------

# (project, type, needed, [(amount secured, days ago, document)], needed-by set by hand in days from
# today or None to follow the node). Statuses as loaded: see the comment on each line.
FACTOR_NEEDS = [
    ("华科精密液压件项目", "land", 100, [(40, 200, "嵊自然资规〔2026〕21号 用地预审")], None),  # 逾期未保障 (land node red)
    ("华科精密液压件项目", "funds", 22000, [(8000, 90, "嵊财企〔2026〕5号 产业基金首期")], 45),  # 待保障
    ("越医堂医用敷料项目", "land", 40, [(25, 150, "用地预审意见"), (15, 40, "嵊自然资规〔2026〕33号")], None),  # 已保障 exactly
    ("尚厨智能嵌入式厨电项目", "land", 100, [(60, 30, "土地征收批复")], None),  # 预警 (land node due this fortnight)
    ("嵊亚新能源汽车电驱总成项目", "land", 350, [(200, 60, "浙政土〔2026〕118号 农转用批复")], None),  # 逾期未保障
    ("嵊亚新能源汽车电驱总成项目", "energy", 12000, [], None),  # 待保障 (follows production)
    ("嵊亚新能源汽车电驱总成项目", "funds", 150000, [(150000, 100, "银团贷款合同")], None),  # 已保障
    ("丝路领带数字化工厂改造项目", "land", 6, [], 20),  # no new land: a small plot for a warehouse; 预警
    ("丝路领带数字化工厂改造项目", "funds", 2000, [(500, 60, "技改补助资金拨付通知")], None),  # follows start: 逾期未保障
    ("嵊电高效节能电机技改项目", "energy", 800, [(300, 10, "节能审查意见")], None),  # 待保障 (follows production)
    ("宁越汽车热管理系统项目", "land", 100, [(100, 140, "国有建设用地使用权出让合同")], None),  # 已保障
    ("宁越汽车热管理系统项目", "funds", 8000, [(3000, 80, "项目贷款首笔放款")], None),  # 逾期未保障 (start node red)
    ("汇川动力车规级功率模块项目", "energy", 6500, [(6500, 200, "嵊发改能评〔2025〕12号")], None),  # 已保障
    ("嵊州风电齿轮箱智能制造项目", "energy", 3000, [(1000, 50, "能耗指标预分配")], 20),  # 预警 (set by hand)
    ("氢途燃料电池电堆项目", "funds", 36000, [(10000, 120, "基金认缴协议")], None),  # follows the agreed start date
    ("储源钠离子电池项目", "land", 300, [], None),  # 待保障 (land node half a year away)
    ("储源钠离子电池项目", "energy", 20000, [], None),  # 待保障
    ("越隆高纯石英砂项目", "land", 150, [(100, 300, "用地预审意见")], None),  # suspended: no status
    ("剡溪智能集成灶智能工厂项目", "energy", 2000, [(2000, 900, "节能审查意见")], None),  # in production: no status
]


def _factor_needs(projects, today, user):
    """Through the product's services; the needs still overdue once their records are in open their
    problem, as the daily job would."""
    for name, factor_type, needed, records, by_hand in FACTOR_NEEDS:
        needed_by = today + datetime.timedelta(days=by_hand) if by_hand is not None else None
        need = factor_services.need_write(project=projects[name], factor_type=factor_type, needed=needed,
                                          needed_by=needed_by)
        for amount, ago, document in records:
            factor_services.need_record_secured(need=need, amount=amount, secured_on=_day(today, ago),
                                                document=document, user=user, today=today)
    factor_services.open_overdue_problems(as_of=today, projects=[projects[name].pk for name, *_ in FACTOR_NEEDS])
