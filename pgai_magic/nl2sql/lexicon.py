"""Word lists of the built-in translator: English cue phrases, business synonyms and a Chinese lexicon."""

from __future__ import annotations

__all__ = [
    "ABBREVIATIONS",
    "CONCEPTS",
    "COUNTRY_ALIASES",
    "CUES",
    "MONTHS",
    "NUMBER_WORDS",
    "STOPWORDS",
    "SYNONYMS",
    "UNIT_WORDS",
    "ZH_DIGITS",
    "ZH_PHRASES",
]

# fmt: off
# words that carry no meaning for the query on their own
STOPWORDS = frozenset(
    """a an the of in on at to for from with by and or is are was were be been being do does did done have has had
    what which who whom whose how when where that this these those there their its it our we us you your i me my mine
    show list display give get find return tell see want need know like would could can please let lets just also
    all any some every one ones per each as than then so such into out up about across over under via within
    kind sort much many make made made thing things value values data record records row rows entry entries
    ever currently current overall respective respectively whole entire both only same other own
    placed came come comes coming bought purchased sold ordered buy sell live lives living located based belong belongs
    generate generated generating make made bring brought earn earned produce produced work works working worked
    operate operated operates operating use used uses using fly flew flown flying depart departed departs departing
    leave left leaving arrive arrived arrives arriving land landed travel traveled travelled recorded record
    happen happened occur occurred take took taken go went gone serve served appear appeared contain contains
    include includes exist exists registered listed stored measured observed off table tables dataset database
    built build builds made manufactured produced constructed
    offer offers offered offering provide provides provided hold holds held own owns owned
    'm 's 're 've 'd 'll n't s""".split()
)

# cue phrases, longest first at lookup time: phrase -> (kind, argument)
CUES: dict[str, tuple[str, str]] = {
    # aggregates
    "how long": ("dur", ""), "lasted": ("dur", ""), "duration": ("dur", ""), "duration of": ("dur", ""),
    "how many": ("agg", "count"), "number of": ("agg", "count"), "count of": ("agg", "count"),
    "count": ("agg", "count"), "counts": ("agg", "count"), "total number of": ("agg", "count"),
    "number": ("agg", "count"), "how often": ("agg", "count"), "total": ("agg", "sum"), "sum of": ("agg", "sum"),
    "sum": ("agg", "sum"), "in total": ("agg", "sum"), "combined": ("agg", "sum"), "altogether": ("agg", "sum"),
    "how much": ("agg", "sum"), "overall": ("agg", "sum"), "average": ("agg", "avg"), "avg": ("agg", "avg"),
    "mean": ("agg", "avg"), "typical": ("agg", "avg"), "maximum": ("agg", "max"), "max": ("agg", "max"),
    "minimum": ("agg", "min"), "min": ("agg", "min"), "standard deviation": ("agg", "stddev"),
    "std dev": ("agg", "stddev"), "stddev": ("agg", "stddev"), "variance": ("agg", "variance"),
    # grouping
    "per": ("group", ""), "for each": ("group", ""), "for every": ("group", ""), "each": ("group", ""),
    "every": ("group", ""), "broken down by": ("group", ""), "break down by": ("group", ""),
    "grouped by": ("group", ""),
    "distribution": ("group", "after"), "distribution of": ("group", ""), "group by": ("group", ""),
    "breakdown by": ("group", ""), "split by": ("group", ""),
    "by": ("by", ""),
    # time buckets
    "daily": ("bucket", "day"), "weekly": ("bucket", "week"), "monthly": ("bucket", "month"),
    "quarterly": ("bucket", "quarter"), "yearly": ("bucket", "year"), "annual": ("bucket", "year"),
    "annually": ("bucket", "year"),
    # ranking
    "top": ("top", "desc"), "bottom": ("top", "asc"), "best": ("super", "best"), "worst": ("super", "worst"),
    "highest": ("super", "desc"), "largest": ("super", "desc"), "biggest": ("super", "desc"),
    "greatest": ("super", "desc"), "most": ("super", "desc"), "lowest": ("super", "asc"),
    "smallest": ("super", "asc"), "least": ("super", "asc"), "fewest": ("super", "asc"),
    "most expensive": ("super", "desc:price"), "priciest": ("super", "desc:price"),
    "cheapest": ("super", "asc:price"), "least expensive": ("super", "asc:price"),
    "longest": ("super", "desc:length"), "shortest": ("super", "asc:length"), "heaviest": ("super", "desc:weight"),
    "lightest": ("super", "asc:weight"), "tallest": ("super", "desc:height"), "fastest": ("super", "desc:speed"),
    "slowest": ("super", "asc:speed"), "farthest": ("super", "desc:distance"), "furthest": ("super", "desc:distance"),
    "closest": ("super", "asc:distance"), "nearest": ("super", "asc:distance"),
    "hottest": ("super", "desc:temperature"), "warmest": ("super", "desc:temperature"),
    "coldest": ("super", "asc:temperature"), "most delayed": ("super", "desc:delay"),
    "least delayed": ("super", "asc:delay"), "youngest": ("super", "asc:age"),
    "best to worst": ("dir", "best"),
    "worst to best": ("dir", "worst"), "most to fewest": ("dir", "desc"), "most to least": ("dir", "desc"),
    "fewest to most": ("dir", "asc"), "least to most": ("dir", "asc"), "fewest first": ("dir", "asc"),
    "least first": ("dir", "asc"), "worst first": ("dir", "worst"), "best first": ("dir", "best"),
    "alphabetically": ("dir", "asc"), "alphabetical order": ("dir", "asc"),
    "a to z": ("dir", "asc"), "z to a": ("dir", "desc"),
    "best selling": ("super", "desc:quantity"), "best-selling": ("super", "desc:quantity"),
    "top selling": ("super", "desc:quantity"), "top-selling": ("super", "desc:quantity"),
    "most popular": ("super", "desc:quantity"), "least popular": ("super", "asc:quantity"),
    "worst selling": ("super", "asc:quantity"), "worst-selling": ("super", "asc:quantity"),
    "newest": ("super", "desc:time"), "latest": ("super", "desc:time"), "most recent": ("super", "desc:time"),
    "oldest": ("super", "asc:time"), "earliest": ("super", "asc:time"), "first": ("super", "asc:time"),
    "last": ("super", "desc:time"), "sorted by": ("sort", ""), "ordered by": ("sort", ""), "ranked by": ("sort", ""),
    "sort by": ("sort", ""), "order by": ("sort", ""), "rank by": ("sort", ""), "in order of": ("sort", ""),
    "descending": ("dir", "desc"), "highest first": ("dir", "desc"), "largest first": ("dir", "desc"),
    "biggest first": ("dir", "desc"), "most first": ("dir", "desc"), "lowest first": ("dir", "asc"),
    "smallest first": ("dir", "asc"), "highest to lowest": ("dir", "desc"), "lowest to highest": ("dir", "asc"),
    "largest to smallest": ("dir", "desc"), "smallest to largest": ("dir", "asc"), "newest first": ("dir", "desc"),
    "oldest first": ("dir", "asc"), "latest first": ("dir", "desc"), "most recent first": ("dir", "desc"),
    "desc": ("dir", "desc"), "ascending": ("dir", "asc"), "asc": ("dir", "asc"),
    # distinct lists
    "distinct": ("distinct", ""), "different": ("distinct", ""), "unique": ("distinct", ""),
    # negation
    "not": ("not", ""), "non": ("not", ""), "excluding": ("not", ""), "except": ("not", ""),
    "other than": ("not", ""), "apart from": ("not", ""), "besides": ("not", ""), "n't": ("not", ""),
    # comparisons (followed by a number)
    "more than": ("cmp", ">"), "greater than": ("cmp", ">"), "over": ("cmp", ">"), "above": ("cmp", ">"),
    "exceeding": ("cmp", ">"), "higher than": ("cmp", ">"), "larger than": ("cmp", ">"), "at least": ("cmp", ">="),
    "less than": ("cmp", "<"), "fewer than": ("cmp", "<"), "under": ("cmp", "<"), "below": ("cmp", "<"),
    "weigh more than": ("cmp", ">:weight"), "weighs more than": ("cmp", ">:weight"),
    "weighing more than": ("cmp", ">:weight"), "weigh less than": ("cmp", "<:weight"),
    "weighs less than": ("cmp", "<:weight"), "weighing less than": ("cmp", "<:weight"),
    "heavier than": ("cmp", ">:weight"), "lighter than": ("cmp", "<:weight"), "longer than": ("cmp", ">:length"),
    "shorter than": ("cmp", "<:length"), "taller than": ("cmp", ">:height"), "older than": ("cmp", ">:age"),
    "younger than": ("cmp", "<:age"), "farther than": ("cmp", ">:distance"), "further than": ("cmp", ">:distance"),
    "lower than": ("cmp", "<"), "cheaper than": ("cmp", "<"), "at most": ("cmp", "<="), "no more than": ("cmp", "<="),
    "up to": ("cmp", "<="), "exactly": ("cmp", "="), "equal to": ("cmp", "="), "priced above": ("cmp", ">:price"),
    "priced over": ("cmp", ">:price"), "priced at more than": ("cmp", ">:price"), "priced below": ("cmp", "<:price"),
    "priced under": ("cmp", "<:price"), "more expensive than": ("cmp", ">:price"), ">": ("cmp", ">"),
    ">=": ("cmp", ">="), "<": ("cmp", "<"), "<=": ("cmp", "<="), "=": ("cmp", "="),
    # row listing and question words
    "which": ("which", ""), "what": ("which", ""), "who": ("which", ""), "list": ("list", ""), "show": ("list", ""),
    "display": ("list", ""),
    # what the translator cannot express: it refuses rather than guess
    "never": ("never", ""), "without any": ("never", ""), "no orders": ("unsupported", "no orders"),
    "percentage": ("pct", ""), "percent": ("pct", ""), "%": ("pct", ""), "share": ("pct", ""),
    "proportion": ("pct", ""), "what fraction": ("pct", "fraction"), "fraction": ("pct", "fraction"),
    "what share": ("pct", ""), "percentage share": ("pct", ""),
    "ratio": ("pct", "ratio"), "ratio of": ("pct", "ratio"),
    "growth": ("unsupported", "growth"), "grow": ("unsupported", "grow"),
    "grew": ("unsupported", "grew"), "increase": ("unsupported", "increase"), "decrease": ("unsupported", "decrease"),
    "compared": ("unsupported", "compared"), "compare": ("unsupported", "compare"),
    "versus": ("unsupported", "versus"), "vs": ("unsupported", "vs"), "cumulative": ("unsupported", "cumulative"),
    "running total": ("unsupported", "running total"), "median": ("agg", "median"),
    "than average": ("unsupported", "than average"), "above average": ("unsupported", "above average"),
    "below average": ("unsupported", "below average"), "same": ("unsupported", "same"),
    "difference": ("unsupported", "difference"), "why": ("unsupported", "why"), "predict": ("unsupported", "predict"),
    "forecast": ("unsupported", "forecast"), "repeat": ("unsupported", "repeat"), "churn": ("unsupported", "churn"),
    # data-changing requests: refused before anything is built
    "delete": ("write", "delete"), "remove": ("write", "remove"), "drop": ("write", "drop"),
    "truncate": ("write", "truncate"), "update": ("write", "update"), "insert": ("write", "insert"),
    "set": ("write", "set"), "change": ("write", "change"), "modify": ("write", "modify"),
    "alter": ("write", "alter"), "create": ("write", "create"), "rename": ("write", "rename"),
    "grant": ("write", "grant"), "revoke": ("write", "revoke"), "erase": ("write", "erase"),
    "wipe": ("write", "wipe"), "add": ("write", "add"), "replace": ("write", "replace"),
    "overwrite": ("write", "overwrite"), "clear": ("write", "clear"), "cancel": ("write", "cancel"),
    "reset": ("write", "reset"), "edit": ("write", "edit"),
}

# everyday words -> words that appear in table/column names or comments
SYNONYMS: dict[str, tuple[str, ...]] = {
    "client": ("customer",), "buyer": ("customer",), "shopper": ("customer",), "purchaser": ("customer",),
    "consumer": ("customer",), "account": ("customer",), "people": ("customer",), "person": ("customer",),
    "item": ("product",), "good": ("product",), "goods": ("product",), "merchandise": ("product",),
    "article": ("product",), "sku": ("product",), "offering": ("product",), "purchase": ("order",),
    "transaction": ("order",), "line": ("item",), "lines": ("item",), "nation": ("country",), "town": ("city",),
    "location": ("city", "country"), "place": ("city", "country"), "type": ("category",), "department": ("category",),
    "group": ("category", "segment"), "manufacturer": ("brand",), "maker": ("brand",), "vendor": ("brand",),
    "label": ("brand",), "tier": ("segment",), "state": ("status",), "source": ("channel",), "platform": ("channel",),
    "e-mail": ("email",), "mail": ("email",), "called": ("name",), "title": ("name",), "signup": ("signup",),
    "sign-up": ("signup",), "joined": ("signup",), "registered": ("signup",), "registration": ("signup",),
    "register": ("signup",), "join": ("signup",), "signed": ("signup",), "sign": ("signup",), "enrolled": ("signup",),
    "units": ("quantity",), "unit": ("unit",), "qty": ("quantity",), "pieces": ("quantity",),
    "paid": ("salary", "pay", "wage"), "pay": ("salary", "wage"), "wage": ("salary", "pay"), "wages": ("salary", "pay"),
    "job": ("title", "role", "position"), "position": ("title", "role"), "role": ("title", "position"),
    "staff": ("employee",), "worker": ("employee",), "personnel": ("employee",), "gender": ("sex",),
    "sex": ("gender",), "distribution": ("count",), "borrowed": ("loan",), "borrow": ("loan",),
    "borrowing": ("loan",), "lent": ("loan",), "born": ("birth",),
}

# measures people name without naming a column: concept -> (trigger phrases, column words, default aggregate)
CONCEPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "revenue": (
        ("revenue", "revenues", "sales", "sale", "sales amount", "turnover", "income", "earnings", "spend",
         "spending", "spent", "money", "gmv", "sales value", "takings", "sales revenue", "total sales",
         "sales figures"),
        ("revenue", "amount", "sales", "total", "value"),
        "sum",
    ),
    "quantity": (
        ("units sold", "quantity", "quantities", "units", "items sold", "volume", "sales volume", "qty",
         "number of units", "pieces", "unit sales", "copies"),
        ("quantity", "qty", "units", "volume"),
        "sum",
    ),
    "price": (
        ("price", "prices", "cost", "costs", "priced", "expensive", "pricey", "cheap", "list price"),
        ("price", "cost"),
        "avg",
    ),
    "length": (("length", "long"), ("length", "distance", "duration", "len"), "avg"),
    "distance": (("distance", "far"), ("distance", "dist", "length", "miles", "km"), "avg"),
    "weight": (("weight", "heavy", "mass"), ("weight", "mass", "wt"), "avg"),
    "height": (("height", "tall"), ("height", "ht"), "avg"),
    "speed": (("speed", "fast"), ("speed", "velocity"), "avg"),
    "temperature": (("temperature", "hot", "warm", "cold"), ("temperature", "temp"), "avg"),
    "delay": (("delay", "late", "lateness"), ("delay",), "avg"),
    "age": (("age", "old"), ("age",), "avg"),
}

# abbreviations seen in column names -> the words a question uses for them
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "dep": ("departure", "depart"), "arr": ("arrival", "arrive"), "temp": ("temperature",), "qty": ("quantity",),
    "amt": ("amount",), "num": ("number",), "nbr": ("number",), "no": ("number",), "dt": ("date",),
    "desc": ("description",), "pct": ("percent", "percentage"), "perc": ("percent",), "dist": ("distance",),
    "wt": ("weight",), "ht": ("height",), "yr": ("year",), "mo": ("month",), "hr": ("hour",), "hrs": ("hour",),
    "mins": ("minute",), "sec": ("second",), "addr": ("address",), "emp": ("employee",), "dept": ("department",),
    "mgr": ("manager",), "cust": ("customer",), "prod": ("product",), "cat": ("category",),
    "org": ("organization",), "acct": ("account",), "bal": ("balance",), "lat": ("latitude",),
    "lon": ("longitude",), "lng": ("longitude",), "long": ("longitude",), "alt": ("altitude",),
    "elev": ("elevation",), "visib": ("visibility",), "vis": ("visibility",), "precip": ("precipitation",),
    "humid": ("humidity",), "dewp": ("dew point",), "dir": ("direction",), "sched": ("scheduled",),
    "cnt": ("count",), "tot": ("total",), "avg": ("average",), "std": ("standard deviation",),
    "dob": ("date of birth", "birth date", "birthday"), "tz": ("time zone", "timezone"),
    "dst": ("daylight saving",), "seats": ("seat",), "engines": ("engine",), "pop": ("population",),
    "rev": ("revenue",), "inv": ("invoice",), "txn": ("transaction",), "trx": ("transaction",),
    "pmt": ("payment",), "ship": ("shipping", "shipment"), "reg": ("registration", "region"),
    "stu": ("student",), "prof": ("professor",), "cred": ("credit",), "pts": ("point",), "grp": ("group",),
    "dest": ("destination",), "orig": ("origin",), "tailnum": ("tail number",), "src": ("source",),
    "loc": ("location",), "lvl": ("level",), "ctry": ("country",), "st": ("state", "street"),
}

# unit words that end a column name (body_mass_g, flipper_length_mm, duration_min): names without them match too
UNIT_WORDS = frozenset(
    "mm cm m km g kg lb lbs oz ml l s ms sec secs min mins minute minutes h hr hrs hour hours day days usd eur "
    "pct percent kwh mb gb".split()
)

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100, "a dozen": 12,
    "dozen": 12, "a couple": 2, "couple": 2, "a few": 3, "single": 1,
}

MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}

COUNTRY_ALIASES = {
    "us": "united states", "usa": "united states", "u.s.": "united states", "america": "united states",
    "uk": "united kingdom", "u.k.": "united kingdom", "britain": "united kingdom", "england": "united kingdom",
    "holland": "netherlands", "the netherlands": "netherlands", "deutschland": "germany",
}

ZH_DIGITS = {
    "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
}

# Chinese words and phrases -> English (longest match first); punctuation becomes spaces
ZH_PHRASES: dict[str, str] = {
    # verbs of asking
    "显示": "show", "展示": "show", "列出": "list", "列举": "list", "给我看": "show", "给出": "show", "给我": "show",
    "查询": "show", "查看": "show", "找出": "show", "告诉我": "show", "统计": "show", "看看": "show", "请": "",
    "帮我": "", "一下": "", "马上": "", "立即": "", "立刻": "",
    # measures
    "总销售额": "total revenue", "销售总额": "total revenue", "销售额": "revenue", "销售金额": "revenue",
    "营业额": "revenue", "营收": "revenue", "收入": "revenue", "销售收入": "revenue", "销售": "sales",
    "销量": "units sold", "销售量": "units sold", "销售数量": "units sold", "卖出数量": "units sold",
    "购买数量": "quantity", "数量": "number", "金额": "amount", "价格": "price", "售价": "price", "定价": "price",
    "单价": "unit price",
    # superlatives and ranking
    "最高": "highest", "最多": "most", "最大": "largest", "最低": "lowest", "最少": "fewest", "最小": "smallest",
    "最贵": "most expensive", "最便宜": "cheapest", "最畅销": "best-selling", "最受欢迎": "most popular",
    "最": "most", "最早": "earliest", "最新": "latest", "排名": "ranked by", "排序": "sorted by",
    "降序": "descending", "升序": "ascending",
    # entities and attributes
    "订单明细": "order item", "订单项": "order item", "订单行": "order item", "订单": "order", "产品": "product",
    "商品": "product", "货品": "product", "客户": "customer", "顾客": "customer", "用户": "customer",
    "买家": "customer", "国家": "country", "城市": "city", "类别": "category", "类目": "category", "品类": "category",
    "分类": "category", "类型": "category", "品牌": "brand", "状态": "status", "销售渠道": "channel",
    "渠道": "channel", "客户类型": "segment", "客户群": "segment", "细分": "segment", "注册日期": "signup date",
    "注册": "signed up", "下单日期": "order date", "订单日期": "order date", "日期": "date", "名称": "name",
    "名字": "name", "姓名": "name", "邮箱": "email", "电子邮件": "email",
    # aggregates and grouping
    "平均": "average", "总数": "total number of", "总计": "total", "总共": "total", "合计": "total", "总和": "total",
    "一共": "total", "总": "total", "多少": "how many", "几个": "how many", "每一个": "per", "每个": "per",
    "每个月": "per month", "每月": "per month", "按月": "by month", "每年": "per year", "按年": "by year",
    "每天": "per day", "每日": "per day", "按天": "by day", "每周": "per week", "按周": "by week",
    "每个季度": "per quarter", "月": "month", "年": "year", "天": "day", "周": "week", "各个": "per", "每": "per",
    "各": "per", "按照": "by", "按": "by", "不同": "distinct", "所有": "all", "全部": "all",
    # question words and fillers
    "哪一个": "which", "哪个": "which", "哪些": "which", "哪": "which", "什么": "what", "是": "is", "的": " ",
    "了": " ", "有": "have", "在": "in", "中": "in", "里": "in", "和": "and", "与": "and", "及": "and", "以及": "and",
    "或者": "or", "或": "or", "被": " ", "都": " ", "我们": "we", "我": "i", "吗": " ", "来自": "from", "位于": "in",
    "个": " ", "名": " ", "位": " ", "款": " ", "家": " ",
    # negation and comparison
    "不是": "not", "不包括": "excluding", "除了": "except", "排除": "excluding", "非": "not", "没有": "never",
    "从未": "never", "大于": "more than", "超过": "more than", "高于": "more than", "多于": "more than",
    "小于": "less than", "低于": "less than", "少于": "less than", "至少": "at least", "之后": "after",
    "以后": "after", "之前": "before", "以前": "before", "从": "from", "到": "to", "至": "to",
    # common values
    "已取消": "cancelled", "取消": "cancelled", "已完成": "completed", "完成": "completed", "已退货": "returned",
    "退货": "returned", "退回": "returned", "待处理": "pending", "处理中": "pending", "线上": "online",
    "在线": "online", "网上": "online", "门店": "in-store", "店内": "in-store", "实体店": "in-store", "电话": "phone",
    "手机应用": "mobile app", "移动应用": "mobile app", "企业客户": "enterprise customer", "企业": "enterprise",
    "小企业": "small business", "小型企业": "small business", "消费者": "consumer", "个人": "consumer",
    "电子产品": "electronics", "图书": "books", "书籍": "books", "服装": "clothing", "运动": "sports", "玩具": "toys",
    "美妆": "beauty", "园艺": "garden", "德国": "germany", "法国": "france", "美国": "united states",
    "英国": "united kingdom", "中国": "china", "日本": "japan", "西班牙": "spain", "意大利": "italy",
    "巴西": "brazil", "加拿大": "canada", "荷兰": "netherlands", "澳大利亚": "australia", "印度": "india",
    "柏林": "berlin", "巴黎": "paris", "伦敦": "london", "东京": "tokyo", "上海": "shanghai", "北京": "beijing",
    "慕尼黑": "munich", "马德里": "madrid", "纽约": "new york",
    # people, organisations and everyday measures
    "员工": "employee", "职工": "employee", "雇员": "employee", "职员": "employee", "部门": "department",
    "年龄": "age", "岁": "age", "性别": "gender", "男性": "male", "女性": "female", "男": "male", "女": "female",
    "工资": "salary", "薪资": "salary", "薪水": "salary", "月薪": "salary", "入职日期": "hire date",
    "入职": "hired", "职位": "title", "岗位": "title", "学历": "education", "人数": "number of", "数目": "number of",
    "分布": "distribution", "比例": "percentage", "占比": "percentage", "百分比": "percentage", "中位数": "median",
    "平均值": "average", "最大值": "maximum", "最小值": "minimum", "航班": "flight", "航空公司": "airline",
    "机场": "airport", "飞机": "plane", "延误": "delay", "出发": "departure", "到达": "arrival", "距离": "distance",
    "温度": "temperature", "企鹅": "penguin", "岛屿": "island", "岛": "island", "物种": "species", "种类": "species",
    "体重": "body mass", "长度": "length", "重量": "weight", "高度": "height", "周末": "weekend", "工作日": "weekday",
    "季度": "quarter", "第一季度": "first quarter", "上半年": "first half", "下半年": "second half",
    "员工数": "number of employee", "数": "number", "多少只": "how many", "几只": "how many",
    "几条": "how many", "几次": "how many", "几人": "how many", "多少人": "how many", "多少条": "how many",
    "多少次": "how many", "有几": "how many", "只": " ", "条": " ", "次数": "number of", "次": " ", "公司": " ",
    "品种": "species", "病人": "patient", "患者": "patient", "鳍长": "flipper length", "最重": "heaviest",
    "最轻": "lightest", "最长": "longest", "最短": "shortest", "雄性": "male", "雌性": "female", "测量": " ",
    "经理": "manager", "请假": "leave", "病假": "sick leave", "年假": "annual leave", "批准": "approved",
    "目的地": "destination", "起飞": "departure", "飞往": "to", "分钟": "minutes", "小时": "hours", "公斤": "kg",
    "千克": "kg", "元": " ", "从高到低": "highest to lowest", "从低到高": "lowest to highest",
    "从大到小": "highest to lowest", "从小到大": "lowest to highest", "排列": "sorted", "持续": " ",
    "天数": "days", "年薪": "annual salary", "鸢尾花": "iris", "葡萄酒": "wine", "酒精": "alcohol",
    "含量": " ", "花瓣": "petal", "花萼": "sepal", "宽度": "width", "糖尿病": "diabetes",
    "每种": "per", "岛上": "island",
    "未被": "not", "未": "not",
    "会员": "member", "书": "book", "谁": "who", "比赛": "match", "球队": "team", "球员": "player", "身高": "height",
    "厘米": "cm", "米": "m", "本": " ", "笔": " ", "大于等于": "at least", "小于等于": "at most", "不少于": "at least",
    "不超过": "at most", "下单": "ordered", "借阅": "loan", "借": "borrowed", "罚款": "fine", "作者": "author",
    "出版": "published", "库存": "stock", "评分": "rating", "进球": "goals", "主场": "home", "客场": "away",
    "国籍": "nationality", "位置": "position", "出生日期": "birth date", "出生": "born",
    # data-changing verbs
    "删除": "delete", "删掉": "delete", "清空": "delete", "更新": "update", "修改": "update", "插入": "insert",
    "添加": "add", "创建": "create", "设置": "set",
}
# fmt: on
