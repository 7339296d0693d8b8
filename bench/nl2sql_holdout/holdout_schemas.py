"""Held-out NL→SQL schemas: three small synthetic schemas (numpy seed 2024) nobody tuned the translator on.

- ``library`` — authors, books, members, loans (loan_date, return_date NULL while out). Primary keys only,
  **no foreign keys**; joins go by author_id / book_id / member_id.
- ``league``  — teams (team_code), players (position, height_cm, weight_kg, birth_date), matches
  (home_team, away_team as team codes, home_goals, away_goals, match_date). The only declared foreign key
  is players.team_code → teams.team_code; matches' team codes are not declared.
- ``shop``    — products / orders / customers with English identifiers, **Chinese table and column
  comments** (商品表, 订单表, 客户表 …) and Chinese values (品类, 城市, 订单状态, 商品名).

Data ends on or before 2024-06-30 (the fixed `today` of the questions).

    import holdout_schemas; holdout_schemas.load_all(conn)   # (re)creates the three schemas
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import psycopg

__all__ = ["SCHEMAS", "load_all"]

SCHEMAS = ("library", "league", "shop")
TODAY = dt.date(2024, 6, 30)


def _copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N")
    cols = ", ".join(frame.columns)
    with conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as cp:
        cp.write(buf.getvalue())


def _days(rng: np.random.RandomState, start: dt.date, end: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=int(d)) for d in rng.randint(0, (end - start).days + 1, n)]


LIBRARY_DDL = """
CREATE TABLE library.authors (author_id integer PRIMARY KEY, name text NOT NULL, country text, birth_year integer);
CREATE TABLE library.books (book_id integer PRIMARY KEY, title text NOT NULL, author_id integer, genre text,
  published_year integer, pages integer, price numeric(8,2));
CREATE TABLE library.members (member_id integer PRIMARY KEY, full_name text NOT NULL, city text,
  membership_type text, joined_on date, birth_date date);
CREATE TABLE library.loans (loan_id integer PRIMARY KEY, book_id integer, member_id integer,
  loan_date date NOT NULL, return_date date, fine numeric(6,2));
"""

_FIRST = ["Anna", "Ben", "Clara", "David", "Elena", "Felix", "Grace", "Hugo", "Iris", "Jonas", "Karin", "Leo",
          "Maya", "Nils", "Olga", "Paul", "Rosa", "Sven", "Tara", "Victor"]  # fmt: skip
_LAST = ["Berg", "Costa", "Dahl", "Evans", "Fischer", "Garcia", "Holm", "Ito", "Jensen", "Klein", "Lund",
         "Moreau", "Novak", "Olsen", "Petrov", "Quinn", "Rossi", "Silva", "Tanaka", "Weber"]  # fmt: skip
_WORDS = ["Silent", "River", "Glass", "Winter", "Garden", "Shadow", "Iron", "Paper", "Night", "Golden",
          "Lost", "Salt", "Northern", "Hidden", "Stone", "Summer"]  # fmt: skip
_NOUNS = ["House", "Road", "Sea", "Letters", "Clock", "Empire", "Island", "Bridge", "Orchard", "Machine"]


def library_frames(seed: int = 2024) -> dict[str, pd.DataFrame]:
    rng = np.random.RandomState(seed)
    n_auth, n_book, n_mem, n_loan = 40, 220, 160, 1400
    authors = pd.DataFrame(
        {
            "author_id": range(1, n_auth + 1),
            "name": [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(n_auth)],
            "country": rng.choice(["Norway", "Japan", "Italy", "Brazil", "Germany", "USA"], n_auth),
            "birth_year": rng.randint(1920, 1995, n_auth),
        }
    )
    genre = rng.choice(["Fiction", "Mystery", "Science", "History", "Poetry", "Children"], n_book,
                       p=[0.3, 0.2, 0.15, 0.15, 0.08, 0.12])  # fmt: skip
    books = pd.DataFrame(
        {
            "book_id": range(1, n_book + 1),
            "title": [f"The {rng.choice(_WORDS)} {rng.choice(_NOUNS)} {i}" for i in range(1, n_book + 1)],
            "author_id": rng.randint(1, n_auth + 1, n_book),
            "genre": genre,
            "published_year": rng.randint(1950, 2024, n_book),
            "pages": rng.randint(60, 900, n_book),
            "price": np.round(rng.uniform(5, 60, n_book), 2),
        }
    )
    members = pd.DataFrame(
        {
            "member_id": range(1, n_mem + 1),
            "full_name": [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(n_mem)],
            "city": rng.choice(["Oslo", "Bergen", "Trondheim", "Stavanger"], n_mem, p=[0.45, 0.25, 0.2, 0.1]),
            "membership_type": rng.choice(["standard", "premium", "student"], n_mem, p=[0.55, 0.2, 0.25]),
            "joined_on": _days(rng, dt.date(2015, 1, 1), dt.date(2024, 6, 1), n_mem),
            "birth_date": _days(rng, dt.date(1945, 1, 1), dt.date(2010, 12, 31), n_mem),
        }
    )
    loan_date = _days(rng, dt.date(2023, 1, 1), TODAY, n_loan)
    dur = rng.randint(1, 45, n_loan)
    ret = []
    for d, k in zip(loan_date, dur, strict=True):
        back = d + dt.timedelta(days=int(k))
        ret.append(None if back > TODAY or rng.rand() < 0.03 else back)
    fine = [round(max(0, (r - d).days - 21) * 0.5, 2) if r is not None else 0.0
            for d, r in zip(loan_date, ret, strict=True)]  # fmt: skip
    loans = pd.DataFrame(
        {
            "loan_id": range(1, n_loan + 1),
            "book_id": rng.randint(1, n_book + 1, n_loan),
            "member_id": rng.choice(rng.permutation(np.arange(1, n_mem + 1))[:140], n_loan),  # 20 never borrow
            "loan_date": loan_date,
            "return_date": ret,
            "fine": fine,
        }
    )
    return {"authors": authors, "books": books, "members": members, "loans": loans}


LEAGUE_DDL = """
CREATE TABLE league.teams (team_code char(3) PRIMARY KEY, team_name text NOT NULL, city text,
  founded_year integer, stadium_capacity integer);
CREATE TABLE league.players (player_id integer PRIMARY KEY, player_name text NOT NULL,
  team_code char(3) REFERENCES league.teams (team_code), position text, height_cm integer,
  weight_kg numeric(5,1), birth_date date, nationality text, shirt_number integer);
CREATE TABLE league.matches (match_id integer PRIMARY KEY, match_date date NOT NULL, home_team char(3),
  away_team char(3), home_goals integer, away_goals integer, attendance integer);
"""

_TEAMS = [("ASH", "Ashford Rovers", "Ashford", 1889, 24000), ("BRK", "Brookfield United", "Brookfield", 1902, 31000),
          ("CLV", "Clearview Athletic", "Clearview", 1921, 18000), ("DMR", "Dunmore City", "Dunmore", 1895, 42000),
          ("ELM", "Elmstead Town", "Elmstead", 1910, 15500), ("FXH", "Foxhill Wanderers", "Foxhill", 1933, 21000),
          ("GRN", "Greenport FC", "Greenport", 1899, 27500), ("HLT", "Halton Albion", "Halton", 1948, 12000),
          ("IVY", "Ivybridge Sporting", "Ivybridge", 1960, 9800),
          ("KNG", "Kingsbury Forest", "Kingsbury", 1885, 36000)]  # fmt: skip


def league_frames(seed: int = 2024) -> dict[str, pd.DataFrame]:
    rng = np.random.RandomState(seed + 1)
    teams = pd.DataFrame(_TEAMS, columns=["team_code", "team_name", "city", "founded_year", "stadium_capacity"])
    codes = list(teams["team_code"])
    rows = []
    pid = 1
    plan = {"Goalkeeper": 3, "Defender": 8, "Midfielder": 8, "Forward": 5}
    for code in codes:
        shirts = iter(rng.permutation(range(1, 40)))
        for pos, k in plan.items():
            for _ in range(k):
                h = int(rng.normal({"Goalkeeper": 191, "Defender": 185, "Midfielder": 178, "Forward": 181}[pos], 5))
                rows.append(
                    (pid, f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", code, pos, h,
                     round(float(h - 100 + rng.normal(-3, 4)), 1),
                     _days(rng, dt.date(1988, 1, 1), dt.date(2006, 6, 30), 1)[0],
                     str(rng.choice(["England", "Spain", "France", "Brazil", "Ghana", "Japan"],
                                    p=[0.4, 0.15, 0.15, 0.1, 0.1, 0.1])),
                     int(next(shirts)))
                )  # fmt: skip
                pid += 1
    players = pd.DataFrame(rows, columns=["player_id", "player_name", "team_code", "position", "height_cm",
                                          "weight_kg", "birth_date", "nationality", "shirt_number"])  # fmt: skip
    pairs = [(h, a) for h in codes for a in codes if h != a]
    order = rng.permutation(len(pairs))
    dates = sorted(_days(rng, dt.date(2023, 8, 12), dt.date(2024, 5, 26), len(pairs)))
    strength = {c: s for c, s in zip(codes, rng.uniform(0.8, 1.8, len(codes)), strict=True)}
    cap = dict(zip(codes, teams["stadium_capacity"], strict=True))
    matches = pd.DataFrame(
        [
            (i + 1, dates[i], pairs[j][0], pairs[j][1], int(rng.poisson(strength[pairs[j][0]] * 1.1)),
             int(rng.poisson(strength[pairs[j][1]] * 0.9)), int(cap[pairs[j][0]] * rng.uniform(0.55, 1.0)))
            for i, j in enumerate(order)
        ],
        columns=["match_id", "match_date", "home_team", "away_team", "home_goals", "away_goals", "attendance"],
    )  # fmt: skip
    return {"teams": teams, "players": players, "matches": matches}


SHOP_DDL = """
CREATE TABLE shop.customers (customer_id integer PRIMARY KEY, customer_name text, gender text, city text,
  is_vip boolean, registered_on date);
COMMENT ON TABLE shop.customers IS '客户表';
COMMENT ON COLUMN shop.customers.customer_name IS '客户姓名';
COMMENT ON COLUMN shop.customers.gender IS '性别';
COMMENT ON COLUMN shop.customers.city IS '所在城市';
COMMENT ON COLUMN shop.customers.is_vip IS '是否会员';
COMMENT ON COLUMN shop.customers.registered_on IS '注册日期';
CREATE TABLE shop.products (product_id integer PRIMARY KEY, product_name text, category text,
  unit_price numeric(10,2), stock_qty integer, launched_on date);
COMMENT ON TABLE shop.products IS '商品表';
COMMENT ON COLUMN shop.products.product_name IS '商品名称';
COMMENT ON COLUMN shop.products.category IS '品类';
COMMENT ON COLUMN shop.products.unit_price IS '单价（元）';
COMMENT ON COLUMN shop.products.stock_qty IS '库存数量';
COMMENT ON COLUMN shop.products.launched_on IS '上架日期';
CREATE TABLE shop.orders (order_id integer PRIMARY KEY, customer_id integer, product_id integer,
  quantity integer, amount numeric(12,2), status text, order_time timestamp, ship_city text);
COMMENT ON TABLE shop.orders IS '订单表';
COMMENT ON COLUMN shop.orders.customer_id IS '客户编号';
COMMENT ON COLUMN shop.orders.product_id IS '商品编号';
COMMENT ON COLUMN shop.orders.quantity IS '购买数量';
COMMENT ON COLUMN shop.orders.amount IS '订单金额（元）';
COMMENT ON COLUMN shop.orders.status IS '订单状态';
COMMENT ON COLUMN shop.orders.order_time IS '下单时间';
COMMENT ON COLUMN shop.orders.ship_city IS '收货城市';
"""

_SUR = list("王李张刘陈杨黄赵吴周徐孙")
_GIV = list("伟芳娜敏静丽强磊军洋勇艳杰")
_PRODUCTS = {"手机数码": ["智能手机", "蓝牙耳机", "平板电脑", "充电宝", "智能手表"],
             "服装": ["羽绒服", "牛仔裤", "运动鞋", "T恤", "连衣裙"],
             "食品": ["绿茶", "坚果礼盒", "大米", "咖啡豆", "月饼"],
             "家居": ["台灯", "床上四件套", "保温杯", "收纳箱"],
             "图书": ["小说", "编程入门", "历史读本"]}  # fmt: skip
_PRICE = {"手机数码": (99, 5999), "服装": (49, 899), "食品": (15, 299), "家居": (29, 499), "图书": (19, 129)}
_CITY = ["北京", "上海", "广州", "深圳", "杭州", "成都"]


def shop_frames(seed: int = 2024) -> dict[str, pd.DataFrame]:
    rng = np.random.RandomState(seed + 2)
    n_cust, n_ord = 300, 2000
    customers = pd.DataFrame(
        {
            "customer_id": range(1, n_cust + 1),
            "customer_name": [
                str(rng.choice(_SUR)) + "".join(rng.choice(_GIV, rng.randint(1, 3))) for _ in range(n_cust)
            ],
            "gender": rng.choice(["男", "女"], n_cust),
            "city": rng.choice(_CITY, n_cust, p=[0.25, 0.25, 0.15, 0.15, 0.1, 0.1]),
            "is_vip": rng.rand(n_cust) < 0.2,
            "registered_on": _days(rng, dt.date(2020, 1, 1), dt.date(2024, 6, 15), n_cust),
        }
    )  # fmt: skip
    prows = []
    for cat, names in _PRODUCTS.items():
        for name in names:
            for variant in ("标准版", "高级版"):
                lo, hi = _PRICE[cat]
                price = round(float(rng.uniform(lo, hi)), 2)
                stock = int(rng.randint(0, 500))
                launched = _days(rng, dt.date(2021, 1, 1), dt.date(2024, 3, 1), 1)[0]
                prows.append((len(prows) + 1, f"{name}{variant}", cat, price, stock, launched))
    products = pd.DataFrame(prows, columns=["product_id", "product_name", "category", "unit_price", "stock_qty",
                                            "launched_on"])  # fmt: skip
    prod = rng.randint(1, len(products) + 1, n_ord)
    qty = rng.choice([1, 1, 1, 2, 2, 3, 5], n_ord)
    price = dict(zip(products["product_id"], products["unit_price"], strict=True))
    secs = rng.randint(0, 86400, n_ord)
    days = _days(rng, dt.date(2023, 7, 1), TODAY, n_ord)
    cust = rng.choice(rng.permutation(np.arange(1, n_cust + 1))[:270], n_ord)  # 30 customers never order
    ccity = dict(zip(customers["customer_id"], customers["city"], strict=True))
    orders = pd.DataFrame(
        {
            "order_id": range(1, n_ord + 1),
            "customer_id": cust,
            "product_id": prod,
            "quantity": qty,
            "amount": [round(float(price[p]) * int(q), 2) for p, q in zip(prod, qty, strict=True)],
            "status": rng.choice(["已完成", "已发货", "已付款", "已取消"], n_ord, p=[0.6, 0.15, 0.1, 0.15]),
            "order_time": [dt.datetime.combine(d, dt.time()) + dt.timedelta(seconds=int(s))
                           for d, s in zip(days, secs, strict=True)],
            "ship_city": [ccity[c] if rng.rand() < 0.9 else str(rng.choice(_CITY)) for c in cust],
        }
    )  # fmt: skip
    return {"customers": customers, "products": products, "orders": orders}


LOADERS = {
    "library": (LIBRARY_DDL, library_frames),
    "league": (LEAGUE_DDL, league_frames),
    "shop": (SHOP_DDL, shop_frames),
}


def load_all(conn: psycopg.Connection, schemas: tuple[str, ...] = SCHEMAS) -> dict[str, int]:
    """(Re)create every schema in `schemas` and ANALYZE; counts of rows per table."""
    counts: dict[str, int] = {}
    for name in schemas:
        ddl, frames = LOADERS[name]
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA {name}")
        conn.execute(ddl)
        for table, frame in frames().items():
            _copy(conn, f"{name}.{table}", frame)
            counts[f"{name}.{table}"] = len(frame)
    conn.execute("ANALYZE")
    return counts
