"""Reference data the product ships with (DOMAIN.md section 9), used by the data migration."""

# The units the action plan names as 责任单位, plus 市统计局 (the statistics node's owner).
UNITS = [
    "市招商投资中心", "市经信局", "市发改局", "市科技局", "开发区（高新园区）", "高铁新城", "市商务局",
    "市市场监管局", "市自然资源局", "市住建局", "市生态环境分局", "市财政局", "市委人才办", "市教体局",
    "市人力社保局", "市科协", "市大数据中心", "市统计局",
]
INVESTMENT_CENTER = "市招商投资中心"

# Platform name -> the unit that manages it (None: a town or street without its own unit here).
PLATFORMS = {
    "嵊州经济开发区": "开发区（高新园区）",
    "高新园区": "开发区（高新园区）",
    "高铁新城": "高铁新城",
    "三江街道": None, "鹿山街道": None, "剡湖街道": None, "浦口街道": None,
    "甘霖镇": None, "长乐镇": None, "崇仁镇": None, "黄泽镇": None, "三界镇": None, "石璜镇": None,
    "谷来镇": None, "仙岩镇": None, "金庭镇": None, "北漳镇": None, "下王镇": None,
    "贵门乡": None, "里南乡": None, "竹溪乡": None, "通源乡": None, "王院乡": None,
}

# Section 3: (node, previous node, months, default owner, platform first).
DEADLINE_RULES = [
    ("sign", "", 0, None, False),
    ("land", "sign", 6, "市自然资源局", False),
    ("start", "land", 3, "市住建局", True),
    ("statistics", "start", 1, "市统计局", False),
    ("production", "start", 18, "市经信局", False),
    # Section 10: 达产 24 months after production's actual (else planned) date.
    ("capacity", "production", 24, "市经信局", False),
]

# Section 11: the default responsible unit of each type of need (要素保障).
FACTOR_RULES = [("land", "市自然资源局"), ("energy", "市发改局"), ("funds", "市财政局")]
