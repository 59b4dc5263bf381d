"""Jinja2 templates of the messages: plain text, Japanese.

Customer e-mails: one template per CTA type, ``dbt/seeds/email_templates/<cta_type>.txt.j2``
(``_default.txt.j2`` for a type without its own), beside ``playbooks.csv``: CS Ops review the
playbook's action and the mail that carries it out in the same place and the same review, and a
scratch copy of the dbt project (``CSWH_DBT_PROJECT_DIR``, ``cswh whatif``) carries its own
templates with its seeds. dbt loads only ``*.csv`` from the seeds folder, so the templates
change nothing for dbt. The digests are internal and live with this package
(``dagster_project/notify/templates``).

A template sets ``subject`` (``{% set subject %}...{% endset %}``); the rest is the body.
Undefined names fail loudly (StrictUndefined). Nothing is HTML: no escaping, sent as
text/plain.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

DIGEST_TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_TEMPLATE = "_default"


def cta_template_dir() -> Path:
    from dagster_project.config import DBT_PROJECT_DIR  # honours CSWH_DBT_PROJECT_DIR

    return DBT_PROJECT_DIR / "seeds" / "email_templates"


def _fmt_num(value, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{float(value):,.{digits}f}"


def _fmt_pct(value, digits: int = 0) -> str:
    """A ratio (0.8) as a percentage (80%)."""
    if value is None:
        return "–"
    return f"{100 * float(value):,.{digits}f}%"


def _env(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # text/plain mail, never HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _fmt_num
    env.filters["pct"] = _fmt_pct
    return env


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _render(env: jinja2.Environment, name: str, context: dict) -> Rendered:
    module = env.get_template(name).make_module(context)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise ValueError(f"template {name} sets no subject ({{% set subject %}}...)")
    return Rendered(subject, str(module).strip() + "\n")


class Templates:
    """The templates of one run (the folders are read once)."""

    def __init__(self, cta_dir: Path | None = None) -> None:
        self.cta_dir = cta_dir or cta_template_dir()
        self._cta = _env(self.cta_dir)
        self._digest = _env(DIGEST_TEMPLATES)

    def cta_template(self, cta_type: str) -> str:
        own = f"{cta_type}.txt.j2"
        return own if (self.cta_dir / own).exists() else f"{DEFAULT_TEMPLATE}.txt.j2"

    def cta_email(self, cta_type: str, context: dict) -> Rendered:
        return _render(self._cta, self.cta_template(cta_type), context)

    def digest(self, kind: str, context: dict) -> Rendered:
        return _render(self._digest, f"{kind}.txt.j2", context)
