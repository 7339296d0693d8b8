"""The hand lexicon of Chinese questions: what a dictionary does not give -- question words, the function words of
a query (多少, 平均, 最高, 按…排序, 每个, 超过, 不同的), measure words, place suffixes (洲/省/市), units -- and a few
business words whose English is the column word an analyst means (销量 -> 'units sold', not 'sales volume')."""

from __future__ import annotations

__all__ = [
    "AGENT_SUFFIXES",
    "CONTENT",
    "FUNCTION",
    "MEASURE_WORDS",
    "NAMEABLE",
    "PLACE_SUFFIXES",
    "UNITS",
    "WRITES",
    "WRITE_WORDS",
    "agent_nouns",
]

# fmt: off
# function words -> the English words the translator reads ('' : no meaning of its own)
FUNCTION: dict[str, str] = {
    # asking
    "显示": "show", "展示": "show", "列出": "list", "列举": "list", "给我看": "show", "给出": "show", "给我": "show",
    "查询": "show", "查看": "show", "找出": "show", "找到": "show", "告诉我": "show", "统计": "show", "看看": "show",
    "请": "", "帮我": "", "一下": "", "马上": "", "立即": "", "立刻": "", "求": "show", "计算": "show", "算": "show",
    "请问": "", "想知道": "", "知道": "", "看一下": "show", "列一下": "list",
    "多少人": "how many", "几人": "how many", "多少只": "how many", "几只": "how many", "几条": "how many",
    "几次": "how many", "多少条": "how many", "多少次": "how many",
    "几岁": "age", "多大": "age", "多少岁": "age", "多高": "height", "多重": "weight", "多长": "length",
    "是谁": "who", "不在": "not in", "既有": "both", "又有": "and", "都有": "", "上": "", "下": "", "过的": "",
    "从老到年轻": "oldest first", "从年长到年轻": "oldest first", "从年轻到年长": "youngest first",
    # question words
    "哪一个": "which", "哪个": "which", "哪些": "which", "哪": "which", "哪里": "where", "哪儿": "where",
    "什么": "what", "啥": "what", "谁": "who", "几": "how many", "几个": "how many", "多少": "how many",
    "是多少": "what is", "为多少": "what is", "有多少": "how many", "有几": "how many", "分别": "",
    "分别是": "", "叫什么": "name", "叫什么名字": "name", "名叫": "named", "叫做": "named",
    "名为": "named", "名称为": "named", "名字为": "named", "名字叫": "named", "被称为": "named",
    # aggregates
    "平均": "average", "平均值": "average", "均值": "average", "总数": "total number of", "总计": "total",
    "总共": "total", "合计": "total", "总和": "total", "一共": "total", "总": "total", "总额": "total",
    "数量": "number", "人数": "number of", "数目": "number of", "次数": "number of", "个数": "number of",
    "最大值": "maximum", "最小值": "minimum", "中位数": "median", "比例": "percentage", "占比": "percentage",
    "百分比": "percentage",
    # superlatives
    "最高": "highest", "最多": "most", "最大": "largest", "最低": "lowest", "最少": "fewest", "最小": "smallest",
    "最贵": "most expensive", "最便宜": "cheapest", "最畅销": "best-selling", "最受欢迎": "most popular",
    "最早": "earliest", "最新": "latest", "最近": "most recent", "最长": "longest", "最短": "shortest",
    "最重": "heaviest", "最轻": "lightest", "最年轻": "youngest", "最年长": "oldest", "最老": "oldest",
    "最快": "fastest", "最慢": "slowest", "最常见": "most common", "最普遍": "most common", "最矮": "shortest",
    "最": "most", "最频繁": "most",
    # grouping and distinct
    "每一个": "per", "每个": "per", "每": "per", "各个": "per", "各": "per", "每种": "per", "每一": "per",
    "每月": "per month", "每个月": "per month", "按月": "by month", "每年": "per year", "按年": "by year",
    "每天": "per day", "每日": "per day", "按天": "by day", "每周": "per week", "按周": "by week",
    "每个季度": "per quarter", "各自": "", "对应": "", "相应": "", "按照": "by", "按": "by", "根据": "by",
    "不同": "distinct", "去重": "distinct", "不重复": "distinct", "去掉重复": "distinct", "所有": "all",
    "全部": "all", "全部信息": "all", "所有信息": "all",
    # ordering
    "排名": "ranked by", "排序": "sorted", "排列": "sorted", "降序": "descending", "升序": "ascending",
    "倒序": "descending", "顺序": "order", "字母顺序": "alphabetical order", "按字母顺序": "alphabetically",
    "从高到低": "highest to lowest", "从低到高": "lowest to highest", "从大到小": "highest to lowest",
    "从小到大": "lowest to highest", "从多到少": "most to fewest", "从少到多": "fewest to most",
    # comparison
    "大于等于": "at least", "小于等于": "at most", "不少于": "at least", "不低于": "at least",
    "不超过": "at most", "不高于": "at most", "不多于": "at most", "大于": "more than", "超过": "more than",
    "高于": "more than", "多于": "more than", "长于": "longer than", "小于": "less than", "低于": "less than",
    "少于": "less than", "不到": "less than", "短于": "shorter than", "至少": "at least", "至多": "at most",
    "最多不超过": "at most", "至少有": "at least", "最多有": "at most", "超过了": "more than", "等于": "equal to",
    "以上": "", "以下": "", "之间": "between",
    # negation and sets
    "不是": "not", "不为": "not", "不等于": "not", "不包括": "excluding", "除了": "except", "除": "except",
    "以外": "", "之外": "", "排除": "excluding", "非": "not", "不": "not", "没有": "do not have", "没": "did not",
    "从未": "never", "从来没": "never", "从来没有": "never", "未": "not", "未被": "not", "无": "no",
    "任何": "any", "既": "both", "同时": "both", "都": "", "也": "", "又": "and", "还": "and",
    # time words
    "之后": "after", "以后": "after", "之前": "before", "以前": "before", "从": "from", "到": "to", "至": "to",
    # fillers and particles
    "是": "is", "的": "", "了": "", "过": "", "着": "", "吗": "", "呢": "", "吧": "", "啊": "", "呀": "",
    "有": "have", "在": "in", "中": "in", "里": "in", "里面": "in", "当中": "in", "之中": "in", "其中": "in",
    "和": "and", "与": "and", "跟": "and", "及": "and", "以及": "and", "并且": "and", "而且": "and",
    "或者": "or", "或": "or", "还是": "or", "被": "", "由": "", "对": "for", "对于": "for",
    "我们": "we", "我": "i", "来自": "from", "位于": "in", "为": "is", "其": "its", "该": "the", "这个": "the",
    "那个": "the", "这些": "the", "那些": "the", "它": "it", "它们": "they", "他们": "they", "所": "", "们": "",
    "一个": "a", "一": "one", "且": "and", "并": "and", "等": "",
    # data-changing verbs (refused before anything is built)
    "删除": "delete", "删掉": "delete", "清空": "delete", "更新": "update", "修改": "update", "插入": "insert",
    "添加": "add", "创建": "create", "设置": "set",
}

# function words that are a column's name where a schema has one (排名: 'ranked by', or the column ranking)
NAMEABLE = frozenset(("排名", "名次", "排行"))

# classifiers: after a number they say only what is counted
MEASURE_WORDS = frozenset("个名位家种条座艘场次张部架只本款所辆台件项门份户间首届批人")

# place suffixes: '上海市' is the city Shanghai, '亚洲' the continent Asia
PLACE_SUFFIXES: dict[str, str] = {"洲": "continent", "省": "province", "市": "city", "县": "county", "区": "district",
                                  "州": "state", "国": "country", "镇": "town", "村": "village"}

UNITS: dict[str, str] = {
    "毫米": "mm", "厘米": "cm", "公分": "cm", "米": "m", "公里": "km", "千米": "km", "英里": "miles", "公斤": "kg",
    "千克": "kg", "克": "g", "吨": "tons", "岁": "years", "美元": "dollars", "元": "", "块": "", "分钟": "minutes",
    "小时": "hours", "秒": "seconds", "人": "people",
}

# business words whose English is the word an analyst means (checked before the dictionary)
CONTENT: dict[str, str] = {
    "总销售额": "total revenue", "销售总额": "total revenue", "销售额": "revenue", "销售金额": "revenue",
    "营业额": "revenue", "营收": "revenue", "收入": "revenue", "销售收入": "revenue", "销售": "sales",
    "销量": "units sold", "销售量": "units sold", "销售数量": "units sold", "卖出数量": "units sold",
    "购买数量": "quantity", "金额": "amount", "价格": "price", "售价": "price", "定价": "price", "单价": "unit price",
    "订单明细": "order item", "订单项": "order item", "订单行": "order item", "订单": "order", "产品": "product",
    "商品": "product", "货品": "product", "客户": "customer", "顾客": "customer", "用户": "customer",
    "买家": "customer", "国家": "country", "城市": "city", "类别": "category", "类目": "category",
    "品类": "category", "分类": "category", "类型": "type", "品牌": "brand", "状态": "status",
    "销售渠道": "channel", "渠道": "channel", "客户类型": "segment", "客户群": "segment", "细分": "segment",
    "注册日期": "signup date", "注册": "signed up", "下单日期": "order date", "订单日期": "order date",
    "日期": "date", "名称": "name", "名字": "name", "姓名": "name", "邮箱": "email", "电子邮件": "email",
    "已取消": "cancelled", "取消": "cancelled", "已完成": "completed", "完成": "completed", "已退货": "returned",
    "退货": "returned", "退回": "returned", "待处理": "pending", "处理中": "pending", "线上": "online",
    "在线": "online", "网上": "online", "门店": "in-store", "店内": "in-store", "实体店": "in-store",
    "电话": "phone", "手机应用": "mobile app", "移动应用": "mobile app", "企业客户": "enterprise customer",
    "企业": "enterprise", "小企业": "small business", "小型企业": "small business", "消费者": "consumer",
    "个人": "consumer", "电子产品": "electronics", "图书": "books", "书籍": "books", "服装": "clothing",
    "运动": "sports", "玩具": "toys", "美妆": "beauty", "园艺": "garden", "员工": "employee", "职工": "employee",
    "雇员": "employee", "职员": "employee", "部门": "department", "年龄": "age", "性别": "gender",
    "男性": "male", "女性": "female", "男": "male", "女": "female", "工资": "salary", "薪资": "salary",
    "薪水": "salary", "月薪": "salary", "入职日期": "hire date", "入职": "hired", "职位": "title", "岗位": "title",
    "学历": "education", "分布": "distribution", "航班": "flight", "航空公司": "airline", "机场": "airport",
    "飞机": "plane", "延误": "delay", "出发": "departure", "到达": "arrival", "距离": "distance",
    "温度": "temperature", "企鹅": "penguin", "岛屿": "island", "岛": "island", "物种": "species",
    "种类": "species", "体重": "body mass", "长度": "length", "重量": "weight", "高度": "height",
    "周末": "weekend", "工作日": "weekday", "季度": "quarter", "第一季度": "first quarter", "上半年": "first half",
    "下半年": "second half", "员工数": "number of employee", "品种": "species", "病人": "patient",
    "患者": "patient", "鳍长": "flipper length", "雄性": "male", "雌性": "female", "经理": "manager",
    "请假": "leave", "病假": "sick leave", "年假": "annual leave", "批准": "approved", "目的地": "destination",
    "起飞": "departure", "飞往": "to", "天数": "days", "年薪": "annual salary", "鸢尾花": "iris",
    "葡萄酒": "wine", "酒精": "alcohol", "花瓣": "petal", "花萼": "sepal", "宽度": "width", "糖尿病": "diabetes",
    "岛上": "island", "会员": "member", "书": "book", "比赛": "match", "球队": "team", "球员": "player",
    "身高": "height", "下单": "ordered", "借阅": "loan", "借": "borrowed", "罚款": "fine", "作者": "author",
    "出版": "published", "库存": "stock", "评分": "rating", "进球": "goals", "主场": "home", "客场": "away",
    "国籍": "nationality", "位置": "position", "出生日期": "birth date", "出生": "born", "月": "month",
    "年": "year", "天": "day", "周": "week", "持续": "", "测量": "", "含量": "",
    "公司": "company", "数": "number", "年份": "year", "月份": "month", "编号": "id", "序号": "id",
}

# suffixes that make an agent noun of the word before them: 登山者 climber, 摔跤手 wrestler, 体操运动员 gymnast
AGENT_SUFFIXES = frozenset(("者", "员", "手", "家", "师", "人", "运动员", "选手"))

# English verbs that ask to change data: a dictionary sense starting with one is never the one rendered
WRITE_WORDS = frozenset(
    "delete remove drop truncate update insert set change modify alter create rename grant revoke erase wipe add "
    "replace overwrite clear cancel reset edit".split()
)


def agent_nouns(sense: str) -> list[str]:
    """English agent nouns a dictionary sense suggests: 'climbing' -> 'climber', 'wrestle' -> 'wrestler',
    'gymnastics' -> 'gymnast', 'body-building' -> 'bodybuilder', 'climb a mountain' -> 'climber'."""
    head = sense.lower().split(" ")[0].replace("-", "")
    if not head.isalpha() or len(head) < 3:
        return []
    found = []
    if head.endswith("ing"):
        found += [head[:-3] + "er", head[:-3] + "or"]
    elif head.endswith("ics"):
        found.append(head[:-3])
    elif head.endswith("e"):
        found += [head + "r", head[:-1] + "or"]
    else:
        found += [head + "er", head + "or", head + "ist"]
    if "ing" in sense and sense.replace("-", "").lower() != head:
        found.append(sense.replace("-", "").lower().replace("ing", "er", 1))
    return found


# Chinese verbs that always ask to change data
WRITES = frozenset(k for k, v in FUNCTION.items() if v in ("delete", "update", "insert", "add", "create", "set"))
# fmt: on
