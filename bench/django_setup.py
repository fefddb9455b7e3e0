"""Django set up for the bench scripts, which run as plain scripts from the project's root."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(**environment: str) -> None:
    """Make the project importable, set `environment` (settings read from it), set Django up."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.update(environment)
    import django

    django.setup()
