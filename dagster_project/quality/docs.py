"""Static documentation for auditors: GX Data Docs and dbt docs, readable from disk.

Layout under ``$CSWH_DOCS_DIR`` (default ``data/docs``)::

    index.html            links to both sites
    data_docs/index.html  Great Expectations Data Docs: every suite and every validation run
    dbt/index.html        dbt docs (``dbt docs generate --static``: one self-contained page)
    gx/uncommitted/validations/  stored GX validation results (one file per suite and run)

GX's page templates load Bootstrap, jQuery, Vega and Font Awesome from CDNs and a logo
(with the context id in its URL) from S3. Auditors often read on a closed network, so the
assets are vendored in ``quality/static/vendor`` (from the npm registry; see VENDORED.md
there) and every such link is rewritten to a relative path: the site renders styled
from ``file://`` with no server and no internet.
"""

from __future__ import annotations

import fcntl
import html
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from dagster_project.config import DBT_PROJECT_DIR, NO_TELEMETRY, Settings, executable
from dagster_project.privacy import restrict_tree

VENDOR_DIR = Path(__file__).parent / "static" / "vendor"
SITE_NAME = "cswh"

# CDN address in GX's templates -> vendored file (relative to VENDOR_DIR).
CDN_ASSETS: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper-1.12.9.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": "bootstrap-prefers-dark-1.1.0.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": "bootstrap-datepicker-1.9.0.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": "bootstrap-datepicker-1.9.0.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": "bootstrap-table-filter-control-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": "bootstrap-table-filter-control-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": "bootstrap-table-filter-control-1.19.1.min.js",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega-5.33.1.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite-5.23.0.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed-6.29.0.min.js",
}
# The GX logo is fetched from S3 with the context id in the query string: use the local copy.
_REMOTE_LOGO = re.compile(
    r"https://great-expectations-web-assets\.s3[^\"')\s]*?/([\w-]+\.png)[^\"')\s]*"
)
_ATTR_URL = re.compile(r"""(?P<attr>\b(?:src|href))=(?P<q>["'])(?P<url>https?://[^"']+)(?P=q)""")


def _site_dir(docs_dir: Path) -> Path:
    return docs_dir / "data_docs"


def _site_config(site_dir: Path) -> dict:
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        # The index lists the latest validations (about 45 runs); dq.check_results keeps all.
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "validation_results_limit": 1000,
        },
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(site_dir),
        },
    }


def _register_suites(context) -> None:
    """Every suite, as the code defines it, appears in Data Docs, validated or not."""
    import great_expectations as gx

    from dagster_project.quality.suites import all_suites

    for suite in all_suites():
        gx_suite = gx.ExpectationSuite(
            name=suite.name,
            expectations=[e.copy(deep=True) for e in suite.expectations],
            meta={"description": suite.description, "table": suite.name},
        )
        context.suites.add(gx_suite)


@contextmanager
def docs_lock(docs_dir: Path) -> Iterator[None]:
    """One writer of the docs dir at a time. Runs on different warehouses may share it (one
    per checkout) and `cswh docs` may run beside them; GX and dbt write their sites in place."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    with open(docs_dir / ".docs.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def localize_html(site_dir: Path, changed_since: float | None = None) -> int:
    """Copy the vendored assets into the site and point every page (written at or after
    `changed_since`, if given) at them. Returns the number of pages rewritten."""
    vendor = site_dir / "static" / "vendor"
    if vendor.exists():
        shutil.rmtree(vendor)
    shutil.copytree(VENDOR_DIR, vendor, ignore=shutil.ignore_patterns("*.md"))
    restrict_tree(vendor)  # copytree keeps the package's modes; ours follow privacy.py
    logo = site_dir / "static" / "images"
    pages = 0
    for page in site_dir.rglob("*.html"):
        if changed_since is not None and page.stat().st_mtime < changed_since - 1:
            continue
        text = page.read_text(encoding="utf-8")
        rel_vendor = Path(os.path.relpath(vendor, page.parent)).as_posix()
        rel_images = Path(os.path.relpath(logo, page.parent)).as_posix()

        def _attr(m: re.Match, rel_vendor=rel_vendor) -> str:
            local = CDN_ASSETS.get(m.group("url"))
            if local is None:
                return m.group(0)
            return f"{m.group('attr')}={m.group('q')}{rel_vendor}/{local}{m.group('q')}"

        new = _ATTR_URL.sub(_attr, text)
        new = _REMOTE_LOGO.sub(lambda m, r=rel_images: f"{r}/{m.group(1)}", new)
        if new != text:
            page.write_text(new, encoding="utf-8")
            pages += 1
    for css in (site_dir / "static" / "styles").glob("*.css"):
        text = css.read_text(encoding="utf-8")
        new = _REMOTE_LOGO.sub(lambda m: f"../images/{m.group(1)}", text)
        if new != text:
            css.write_text(new, encoding="utf-8")
    return pages


def remote_references(site_dir: Path) -> list[str]:
    """Assets (src / stylesheet href / CSS url) that a page would still fetch from the
    internet. Plain hyperlinks to documentation are not assets and are not listed."""
    found = set()
    for page in site_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        found.update(re.findall(r"""\bsrc=["'](https?://[^"']+)""", text))
        for tag in re.findall(r"<link\b[^>]*>", text):
            found.update(re.findall(r"""href=["'](https?://[^"']+)""", tag))
    for css in site_dir.rglob("*.css"):
        found.update(re.findall(r"url\(['\"]?(https?://[^'\")]+)", css.read_text(encoding="utf-8")))
    return sorted(found)


def refresh_data_docs(settings: Settings | None = None) -> Path:
    """Update the Data Docs site from the suites and the stored validation results (the
    ``docs/data_docs`` asset, after every publish). Only the validation pages the site does
    not have yet are rendered, with the suite pages and the index: the site keeps every
    earlier page, a daily run does not re-render a history that grows by ~20 pages a run, and
    the pages of a run that did not publish (its checks stopped it) or whose refresh failed
    appear with the next refresh. Returns the site's index.html."""
    settings = settings or Settings.from_env()
    with docs_lock(settings.docs_dir):
        return _render_data_docs(settings.docs_dir, only_new=True)


def data_docs_index(docs_dir: Path) -> Path:
    return _site_dir(docs_dir) / "index.html"


def _render_data_docs(docs_dir: Path, only_new: bool) -> Path:
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    from dagster_project.quality.runner import gx_context

    site_dir = _site_dir(docs_dir)
    started = time.time()
    # Built fresh from the code's suites and the stored results: no GX config file to share.
    context = gx_context(docs_dir, data_docs_sites={SITE_NAME: _site_config(site_dir)})
    _register_suites(context)
    resources = None
    if only_new and data_docs_index(docs_dir).exists():
        resources = _unrendered_validations(context, site_dir) + [
            ExpectationSuiteIdentifier(name=s.name) for s in context.suites.all()
        ]
    context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=resources)
    localize_html(site_dir, changed_since=None if resources is None else started)
    return data_docs_index(docs_dir)


def _unrendered_validations(context, site_dir: Path) -> list:
    """Stored validation results that have no page in the site yet."""
    from great_expectations.data_context.store.html_site_store import HtmlSiteStore
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )

    site = HtmlSiteStore(
        store_backend={"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)}
    )
    pages = site.store_backends[ValidationResultIdentifier]
    return [
        key
        for key in context.validation_results_store.list_keys()
        if not pages.has_key(key.to_tuple())
    ]


def build_data_docs_asset(upstream: dg.AssetKey) -> dg.AssetsDefinition:
    """Data Docs as the last asset of every run, downstream of ``upstream`` (the publish), so a
    run started from the CLI, the UI, the schedule or the sensor refreshes them alike.

    A render that fails fails this step only: the serving copy is already published and
    stays so (`cswh run` still exits 0 and says the report was not refreshed); the next
    refresh renders what this one missed. A run whose checks stopped the publish does not
    reach this step: its pages appear with the next refresh (or `cswh docs`)."""

    @dg.asset(
        key=dg.AssetKey(["docs", "data_docs"]),
        group_name="publish",
        deps=[upstream],
        kinds={"html"},
        owners=["team:cs-ops"],
        description="Great Expectations Data Docs under $CSWH_DOCS_DIR/data_docs: every suite "
        "and the result of every validation run, readable from disk with no internet.",
    )
    # `context` unannotated: under `from __future__ import annotations` Dagster rejects the hint.
    def data_docs(context) -> dg.MaterializeResult:
        t0 = time.perf_counter()
        index = refresh_data_docs(Settings.from_env())
        context.log.info(f"data quality report: {index}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(index)),
                "seconds": round(time.perf_counter() - t0, 2),
            }
        )

    return data_docs


def build_dbt_docs(settings: Settings | None = None) -> Path:
    """``dbt docs generate --static`` into ``<docs>/dbt/index.html`` (one self-contained
    page: manifest and catalog inlined). Without a warehouse the catalog is left empty."""
    settings = settings or Settings.from_env()
    settings.export()
    out = settings.docs_dir / "dbt"
    target = settings.docs_dir / ".dbt_target"
    cmd = [
        executable("dbt"),
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
    ]
    if settings.as_of:
        cmd += ["--vars", f'{{"as_of_date": "{settings.as_of}"}}']
    if not settings.warehouse.exists():
        cmd.append("--empty-catalog")
    env = {**os.environ, **NO_TELEMETRY}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=DBT_PROJECT_DIR)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"dbt docs generate failed (exit {proc.returncode}):\n{tail}")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target / "static_index.html", out / "index.html")
    return out / "index.html"


_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cswh documentation</title>
<style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:3rem auto;line-height:1.5}}
a{{font-size:1.2rem}}</style></head><body>
<h1>Customer-success warehouse: documentation</h1>
<ul>
<li><a href="data_docs/index.html">Data quality (Great Expectations Data Docs)</a>: every
suite, its expectations and severities, and the result of every validation run.</li>
<li><a href="dbt/index.html">Models and lineage (dbt docs)</a>: staging, intermediate and
mart models, their columns, tests and lineage.</li>
</ul>
<p>Check results per run are also in <code>dq.check_results</code> of the serving copy
(join <code>dq.load_manifest</code> on <code>run_id</code>). Generated from {root}.</p>
</body></html>
"""


def build_docs(settings: Settings | None = None) -> dict[str, Path]:
    """Both sites plus a landing page; each index.html opens from disk (``cswh docs``)."""
    settings = settings or Settings.from_env()
    with docs_lock(settings.docs_dir):
        paths = {
            "data_docs": _render_data_docs(settings.docs_dir, only_new=False),
            "dbt_docs": build_dbt_docs(settings),
        }
        index = settings.docs_dir / "index.html"
        index.write_text(_INDEX.format(root=html.escape(str(settings.docs_dir))), encoding="utf-8")
    paths["index"] = index
    return paths
