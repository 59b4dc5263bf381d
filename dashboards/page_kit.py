"""Small UI pieces every page shares: guards, formatting, filters, downloads."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd
import serving_data as data
import streamlit as st

NONE_LABEL = "(未割当 / none)"


def require_serving() -> None:
    """Stop the page with instructions when no serving copy has been published yet."""
    path = data.serving_path()
    if data.version(path) is not None:
        return
    st.info(
        f"No serving copy yet at `{path}`.\n\n"
        "Create it by running the pipeline once from the repository root:\n\n"
        "```\nmake run\n```\n"
        "or, with the environment already installed, `cswh run` (set `CSWH_SERVING` or "
        "`cswh dashboard --serving FILE` to read another copy). This page fills in as soon as "
        "a copy is published; no restart is needed.",
        icon=":material/database:",
    )
    st.stop()


def require_tables(*names: str) -> None:
    """Stop the page with a clear message when the serving copy lacks a table it needs."""
    missing = [n for n in names if n not in data.tables()]
    if missing:
        st.warning(
            "The serving copy at `{}` does not hold {} yet. Run `cswh run` with a pipeline "
            "that builds {} and publish again.".format(
                data.serving_path(),
                ", ".join(f"`{m}`" for m in missing),
                "it" if len(missing) == 1 else "them",
            ),
            icon=":material/table_view:",
        )
        st.stop()


def has(name: str) -> bool:
    return name in data.tables()


def is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def num(value, digits: int = 0) -> str:
    if is_missing(value):
        return "–"
    return f"{float(value):,.{digits}f}"


def pct(value, digits: int = 1) -> str:
    """A ratio (0.12) shown as a percentage (12.0%)."""
    if is_missing(value):
        return "–"
    return f"{100 * float(value):.{digits}f}%"


def yen(value) -> str:
    return "–" if is_missing(value) else f"¥{float(value):,.0f}"


def delta(now, before, kind: str = "num") -> str | None:
    """A metric delta as text, or None when either side is missing."""
    if is_missing(now) or is_missing(before):
        return None
    diff = float(now) - float(before)
    if math.isclose(diff, 0.0, abs_tol=1e-12):
        return "±0"
    if kind == "pct":
        return f"{100 * diff:+.1f} pt"
    if kind == "score":
        return f"{diff:+.1f}"
    return f"{diff:+,.0f}"


def options(df: pd.DataFrame, column: str) -> list[str]:
    values = df[column].map(lambda v: NONE_LABEL if is_missing(v) else str(v))
    return sorted(values.unique())


def sidebar_multiselect(label: str, df: pd.DataFrame, column: str, key: str) -> list[str]:
    return st.sidebar.multiselect(label, options(df, column), key=key, placeholder="すべて / all")


def apply_filter(df: pd.DataFrame, column: str, chosen: Sequence[str]) -> pd.DataFrame:
    """Keep rows whose value is among ``chosen`` (empty choice = no filter)."""
    if not chosen:
        return df
    values = df[column].map(lambda v: NONE_LABEL if is_missing(v) else str(v))
    return df[values.isin(list(chosen))]


def download(
    df: pd.DataFrame, file_name: str, label: str = "CSV をダウンロード / Download CSV"
) -> None:
    """A CSV download of exactly the rows shown (UTF-8 with BOM, so Excel reads Japanese)."""
    st.download_button(
        label,
        df.to_csv(index=False).encode("utf-8-sig"),
        file_name=file_name,
        mime="text/csv",
        key=f"download-{file_name}",
        on_click="ignore",
        icon=":material/download:",
    )


def date_columns(df: pd.DataFrame) -> dict:
    """Column configs that show DuckDB DATE columns (datetime64 at midnight) as dates."""
    config = {}
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            values = df[col].dropna()
            if (values == values.dt.normalize()).all():
                config[col] = st.column_config.DateColumn(format="YYYY-MM-DD")
            else:
                config[col] = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
    return config


def table(
    df: pd.DataFrame,
    file_name: str,
    columns: Iterable[str] | None = None,
    account_link: bool = False,
    **kwargs,
) -> None:
    """A table and a CSV download of the same rows. ``account_link`` adds a link to Account 360."""
    shown = df[[c for c in columns if c in df.columns]] if columns is not None else df
    config = date_columns(shown) | dict(kwargs.pop("column_config", None) or {})
    view = shown
    if account_link and "account_id" in shown.columns:
        view = shown.assign(account_360="./account?account=" + shown["account_id"].astype(str))
        view = view[["account_360", *shown.columns]]
        config["account_360"] = st.column_config.LinkColumn(
            "360", display_text="open", width="small"
        )
    st.dataframe(view, hide_index=True, column_config=config, **kwargs)
    download(shown, file_name)


def caption_source(*tables: str) -> None:
    pub = data.publication()
    when = (
        f" · published {pub.published_at:%Y-%m-%d %H:%M} UTC"
        if pub.published_at is not None and not is_missing(pub.published_at)
        else ""
    )
    st.caption("Source: " + ", ".join(f"`{t}`" for t in tables) + when)
