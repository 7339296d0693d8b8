"""Word lists of the built-in translator: English cue phrases and business synonyms (Chinese: nl2sql.zh.lexicon)."""

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

# fmt: on
