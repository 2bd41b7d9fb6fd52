"""The provider's fallback procedures: one jinja2 template per issue category, rendered with
the one Environment of bot/views/templated.py. A provider keeps its own copies in the directory
named by GOLIVE_FALLBACK_DIR (``medication.j2``, ``records.j2``, ..., ``default.j2``); a
category without a template there uses golive's own, and a copy that fails to render is
logged and replaced by golive's own, so the care team always gets a procedure."""

import logging
from pathlib import Path

from jinja2 import TemplateError

from bot.views.templated import TEMPLATES, Rendered, environment, to_blocks

log = logging.getLogger("golive.continuity")

BUILT_IN = TEMPLATES / "fallback"
DEFAULT = "default"


def _source(directory: Path, category: str) -> Path | None:
    for name in (category, DEFAULT):
        path = directory / f"{name}.j2"
        if path.is_file():
            return path
    return None


def render_fallback(
    category: str, *, provider_dir: Path | None, ref: str, service: str, label: str
) -> Rendered:
    context = {"ref": ref, "service": service, "category": label}
    if provider_dir is not None:
        path = _source(provider_dir, category)
        if path is not None:
            try:
                source = path.read_text(encoding="utf-8")
                return to_blocks(environment().from_string(source).render(**context))
            except (OSError, UnicodeDecodeError, TemplateError) as error:
                log.error("fallback template %s failed: %s", path, error)
    path = _source(BUILT_IN, category)
    assert path is not None
    template = environment().get_template(f"fallback/{path.name}")
    return to_blocks(template.render(**context))
