"""Settings come from the environment, with safe defaults."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import env_bool


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("0", False), ("", False), ("On", True)]
)
def test_boolean_variables_accept_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)

    assert env_bool("SOME_FLAG", default=False) is expected


def test_a_misspelt_boolean_stops_the_start_instead_of_guessing(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "ture")

    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG", default=False)


def _setting_in_fresh_process(name: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print(s.{name})"],
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_debug_is_off_unless_set():
    assert _setting_in_fresh_process("DEBUG") == "False"


def test_production_security_is_on_by_default():
    assert _setting_in_fresh_process("SECURE_SSL_REDIRECT") == "True"
    assert _setting_in_fresh_process("SESSION_COOKIE_SECURE") == "True"
