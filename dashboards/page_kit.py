"""Small UI pieces every page shares: guards, formatting, filters, downloads."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

import altair as alt
import pandas as pd
import serving_data as data
import streamlit as st

NONE_LABEL = "(未割当 / none)"
PROVISIONAL = "is_provisional"  # fct_account_health: the current snapshot D, off the grid


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


def guard(page_file: str) -> None:
    """A page's guards, called right after its title: stop with instructions when no serving
    copy is published, or when it lacks a table the page's entry in navigation.py needs."""
    from navigation import spec_of_file

    require_serving()
    require_tables(*spec_of_file(page_file).needs)


def has(name: str) -> bool:
    return name in data.tables()


NO_TIER_COLOUR = "#9e9e9e"  # a tier the published seed does not colour


def tier_palette(codes: Iterable = ()) -> pd.DataFrame:
    """tier, label_ja, colour, sort_order from seed health_tiers as published, plus any tier
    in ``codes`` the seed does not list (shown by its code, in grey). A serving copy without
    the seed is named in a warning; the page still renders."""
    tiers = data.health_tiers()
    if tiers.empty:
        st.warning(
            f"The serving copy at `{data.serving_path()}` does not hold `seeds.health_tiers`: "
            "tiers are shown by their codes, without the seed's labels and colours. Publish "
            "again with `cswh run`.",
            icon=":material/table_view:",
        )
    known = set(tiers["tier"])
    extra = [c for c in dict.fromkeys(codes) if not is_missing(c) and c not in known]
    if extra:
        more = pd.DataFrame({"tier": extra, "label_ja": extra, "colour": None, "sort_order": 1000})
        tiers = pd.concat([tiers, more], ignore_index=True) if not tiers.empty else more
    tiers = tiers.astype({"tier": object, "label_ja": object, "colour": object})
    tiers["label_ja"] = tiers["label_ja"].where(tiers["label_ja"].notna(), tiers["tier"])
    tiers["colour"] = tiers["colour"].where(tiers["colour"].notna(), NO_TIER_COLOUR)
    tiers["sort_order"] = pd.to_numeric(tiers["sort_order"]).fillna(999)
    return tiers.reset_index(drop=True)


def at_risk_tiers(tiers: pd.DataFrame) -> list[str]:
    """The tiers that count as "at risk" (seed health_tiers.counts_as_at_risk, the definition
    mart_kpi_monthly.at_risk_accounts uses), from a ``tier_palette``."""
    flag = tiers.get("counts_as_at_risk")
    if flag is None:
        return []
    return list(tiers.loc[flag.fillna(False).astype(bool), "tier"])


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


def sidebar_multiselect(
    label: str, df: pd.DataFrame, column: str, key: str, code_kind: str | None = None
) -> list[str]:
    """A sidebar filter over the values of ``column``; with ``code_kind`` the choices read
    as their Japanese labels with the code beside them ("高 (high)"), the values stay codes."""
    fmt = (
        (lambda v: v if v == NONE_LABEL else data.label(code_kind, v, with_code=True))
        if (code_kind)
        else str
    )
    return st.sidebar.multiselect(
        label, options(df, column), key=key, placeholder="すべて / all", format_func=fmt
    )


# The code columns of CTA tables (fct_cta_candidates, dim_playbooks) and their code_kind.
CTA_CODES: dict[str, str] = {
    "cta_type": "cta_type",
    "direction": "cta_direction",
    "priority": "cta_priority",
    "status": "cta_status",
    "latest_outcome": "cta_outcome",
    "owner_role": "owner_role",
    "channel": "channel",
    "segment": "segment",
}


def labelled(df: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """A copy of ``df`` whose code columns (column -> code_kind of marts.dim_code_labels) show
    their Japanese label with the code beside it ("高 (high)"); for tables people read
    (downloads keep the codes: pass the original frame to ``download``)."""
    out = df.copy()
    for column, kind in kinds.items():
        if column in out.columns:
            out[column] = data.label_column(out[column], kind, with_code=True)
    return out


def apply_filter(df: pd.DataFrame, column: str, chosen: Sequence[str]) -> pd.DataFrame:
    """Keep rows whose value is among ``chosen`` (empty choice = no filter)."""
    if not chosen:
        return df
    values = df[column].map(lambda v: NONE_LABEL if is_missing(v) else str(v))
    return df[values.isin(list(chosen))]


# --- text from the data ---------------------------------------------------------------------
# Account names, comments, reasons, CSM names and file names come from outside. Streamlit
# renders markdown in st.markdown/caption/header/title/subheader/info/warning/success/error
# and in widget, metric, expander and tab labels: links, images, emphasis, ``:red[...]``
# directives, ``:material/...:`` icons, ``$...$`` LaTeX and bare URLs (GFM autolinks) all
# render, HTML does not (it shows as text unless unsafe_allow_html). ``plain`` makes a value
# read literally in any of those; tables (st.dataframe) and st.text never render markdown.

_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
# GFM finds bare links (http://..., www...., a@b.c) in the text *after* escapes are resolved
# (checked in Chromium: "http\:\/\/evil\.example" still became a link), so a backslash
# does not stop them; an invisible word joiner after ":" and "@" and inside "www." does.
_AUTOLINK_SEAMS = re.compile(r"(?i)[:@]|www(?=\.)")
WORD_JOINER = "\u2060"


def plain(value) -> str:
    """``value`` as text that markdown shows literally: every ASCII punctuation character
    backslash-escaped (CommonMark allows it for each and renders the character itself), a
    word joiner (U+2060, invisible) where a bare link would start, and line breaks folded
    into spaces (a new line could start a heading or a list)."""
    text = "–" if is_missing(value) else str(value)
    text = _AUTOLINK_SEAMS.sub(lambda m: m.group(0) + WORD_JOINER, _LINE_BREAKS.sub(" ", text))
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


# --- CSV downloads -----------------------------------------------------------------------------
# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...),
# +cmd|..., @SUM(...)); tab and carriage return do the same after Excel strips them (OWASP,
# "CSV Injection"). Such a text cell gets a leading apostrophe, which spreadsheets show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defused(value):
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) cannot run as spreadsheet
    formulas; numbers, dates and nulls are untouched (-5 in a number column stays -5)."""
    out = df.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == object:
            out[column] = values.astype(object).map(_defused)
        elif pd.api.types.is_string_dtype(values.dtype):
            out[column] = values.map(_defused, na_action="ignore")
    out.columns = [_defused(c) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The bytes every CSV download of the dashboard offers: formulas defused (``csv_safe``),
    UTF-8 with BOM so Excel reads Japanese, no index."""
    return csv_safe(df).to_csv(index=False).encode("utf-8-sig")


def download(
    df: pd.DataFrame, file_name: str, label: str = "CSV をダウンロード / Download CSV"
) -> None:
    """A CSV download of exactly the rows shown (``csv_bytes``: formulas defused)."""
    st.download_button(
        label,
        csv_bytes(df),
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
        elif ("rate" in col.split("_") or col.endswith("_share")) and pd.api.types.is_numeric_dtype(
            df[col]
        ):
            config[col] = st.column_config.NumberColumn(format="percent")  # ratios 0..1 as %
    return config


def table(
    df: pd.DataFrame,
    file_name: str,
    columns: Iterable[str] | None = None,
    account_link: bool = False,
    labels: dict[str, str] | None = None,
    **kwargs,
) -> None:
    """A table and a CSV download of the same rows. ``account_link`` adds a link to Account 360.
    ``labels`` (column -> code_kind) shows those code columns as their Japanese labels with
    the code beside them; the download keeps the codes."""
    shown = df[[c for c in columns if c in df.columns]] if columns is not None else df
    config = date_columns(shown) | dict(kwargs.pop("column_config", None) or {})
    view = labelled(shown, labels) if labels else shown
    if account_link and "account_id" in shown.columns:
        ids = shown["account_id"].astype(str).map(lambda a: quote(a, safe=""))
        view = view.assign(account_360="./account?account=" + ids)
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


# --- charts -----------------------------------------------------------------------------------
# Axis formats by kind of number. For "f" and "%" without a precision, Vega takes the decimals
# from the tick step, so 800 reads "800", 1200 "1,200" and 0.12 "12%"; a bare "," leaves the
# type empty and Vega falls back to significant digits: 800 with a step of 100 reads "8e+2".
AXIS_FORMAT = {"count": ",f", "ratio": "%", "score": ",f"}
TOOLTIP_FORMAT = {"count": ",.0f", "ratio": ".1%", "score": ",.1f"}
# SVG rather than canvas: axis labels and marks are text and shapes in the page, crisp when
# zoomed and readable by screen readers (and by the browser tests).
SVG = {"embedOptions": {"renderer": "svg"}}


def axis(kind: str, **kwargs) -> alt.Axis:
    """A y axis for counts (integer ticks), ratios (as %) or scores."""
    if kind == "count":
        kwargs.setdefault("tickMinStep", 1)
    return alt.Axis(format=AXIS_FORMAT[kind], **kwargs)


def _runs(df: pd.DataFrame, y: str, by: list[str], order: str) -> pd.DataFrame:
    """Rows with a value of ``y``, numbered by unbroken run so a line never bridges a gap.

    A null is unknown, not 0: it draws nothing, and the line starts again after it.
    """
    df = df.sort_values([*by, order])
    gaps = df[y].isna()
    df = df.assign(_run=(gaps.groupby([df[c] for c in by]).cumsum() if by else gaps.cumsum()))
    return df[~gaps]


def _utc(ts) -> alt.DateTime:
    ts = pd.Timestamp(ts)
    return alt.DateTime(year=ts.year, month=ts.month, date=ts.day, utc=True)


def trend_chart(df: pd.DataFrame, x: str, y: str, kind: str, title: str) -> alt.Chart:
    """A monthly line with a point per month; months without a value are left out.

    The time axis spans every month of ``df`` all the same, so charts side by side line up
    and the months nobody can tell about show as the empty stretch they are.
    """
    data = _runs(df[[x, y]], y, [], x)
    span = alt.Scale(domain=[_utc(df[x].min()), _utc(df[x].max())])
    return (
        alt.Chart(data, title=title, usermeta=SVG)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:T", title=None, axis=alt.Axis(format="%Y-%m"), scale=span),
            y=alt.Y(f"{y}:Q", title=title, axis=axis(kind)),
            detail="_run:N",
            tooltip=[
                alt.Tooltip(f"{x}:T", format="%Y-%m", title="month"),
                alt.Tooltip(f"{y}:Q", format=TOOLTIP_FORMAT[kind], title=title),
            ],
        )
        .properties(height=220)
    )


def history_chart(
    df: pd.DataFrame,
    x: str,
    y: str,
    kind: str,
    y_title: str,
    series: str | None = None,
    color: alt.Color | None = None,
    y_scale: alt.Scale | None = None,
    height: int = 240,
    **encodings,
) -> alt.LayerChart:
    """Values over snapshot dates, the provisional current snapshot set apart.

    Settled snapshots are solid lines; the provisional one (``is_provisional``: D off the
    grid, replaced by the next run) is a hollow point reached by a dashed segment from the
    last settled date, so nobody reads tomorrow's replacement as a trend.
    """
    by = [series] if series else []
    prov = (
        df[PROVISIONAL].fillna(False).astype(bool)
        if PROVISIONAL in df.columns
        else pd.Series(False, index=df.index)
    )
    data = df.assign(snapshot=prov.map({True: "provisional", False: "settled"}))
    data = _runs(data[[x, y, "snapshot", *by]], y, by, x)
    enc = {
        "x": alt.X(f"{x}:T", title=None, axis=alt.Axis(format="%Y-%m")),
        "y": alt.Y(f"{y}:Q", title=y_title, axis=axis(kind), scale=y_scale or alt.Undefined),
        "tooltip": [
            alt.Tooltip(f"{x}:T", title="date"),
            *([alt.Tooltip(f"{series}:N")] if series else []),
            alt.Tooltip(f"{y}:Q", format=TOOLTIP_FORMAT[kind], title=y_title),
            alt.Tooltip("snapshot:N"),
        ],
    }
    if color is not None:
        enc["color"] = color
    enc |= encodings
    settled = data[data["snapshot"] == "settled"]
    provisional = data[data["snapshot"] == "provisional"]
    layers = [alt.Chart(settled).mark_line().encode(**enc, detail=[*by, "_run:N"])]
    if not provisional.empty:
        last = settled.loc[settled[x] < provisional[x].min(), x].max()
        bridge = pd.concat([settled[settled[x] == last], provisional])
        layers += [
            alt.Chart(bridge)
            .mark_line(strokeDash=[5, 4])
            .encode(**enc, detail=series or alt.Undefined),
            alt.Chart(provisional)
            .mark_point(filled=False, size=90, strokeWidth=2, opacity=1)
            .encode(**enc),
        ]
    return alt.layer(*layers, usermeta=SVG).properties(height=height)


def provisional_caption(df: pd.DataFrame, x: str = "snapshot_date") -> None:
    """Say which point is provisional, under a history chart that has one."""
    if PROVISIONAL not in df.columns:
        return
    dates = df.loc[df[PROVISIONAL].fillna(False).astype(bool), x]
    if not dates.empty:
        d = pd.Timestamp(dates.max()).date()
        st.caption(f"Hollow point and dashed line: {d} (provisional: replaced by tomorrow's run).")
