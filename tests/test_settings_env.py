from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("off", False), ("0", False)]
)
def test_env_bool_reads_booleans(raw: str, expected: bool) -> None:
    assert env.env_bool("X", not expected, {"X": raw}) is expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: env.env_bool("X", False, {"X": "maybe"}), "not a boolean"),
        (lambda: env.env_int("X", 1, environ={"X": "ten"}), "not an integer"),
        (lambda: env.env_int("X", 1, minimum=5, environ={"X": "2"}), "below the minimum"),
        (lambda: env.env_int("X", 1, maximum=5, environ={"X": "9"}), "above the maximum"),
        (lambda: env.env_choice("X", "a", ("a", "b"), {"X": "c"}), "must be one of"),
        (lambda: env.env_secret("X", required=True, dev_default="d", environ={}), "must be set"),
        (
            lambda: env.env_secret("X", required=True, dev_default="d", environ={"X": "short"}),
            "at least 32",
        ),
        (lambda: env.database_from_url("mysql://x/y"), "not postgres"),
        (lambda: env.env_rate("R", "1/min", {"R": "lots"}), "not a rate"),
        (lambda: env.database_from_url("postgres://host/"), "names no database"),
    ],
)
def test_junk_values_are_refused_loudly(call: object, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        call()  # type: ignore[operator]


def test_a_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("s" * 40 + "\n")
    assert (
        env.env_secret("K", required=True, dev_default="", environ={"K_FILE": str(secret)})
        == "s" * 40
    )


def test_database_url_with_a_socket_directory() -> None:
    parsed = env.database_from_url("postgres://pg@/passgate?host=/run/pg&sslmode=disable")
    assert parsed["NAME"] == "passgate" and parsed["HOST"] == "/run/pg" and parsed["USER"] == "pg"
    assert parsed["OPTIONS"] == {"sslmode": "disable"}


def test_env_list_splits_on_commas() -> None:
    assert env.env_list("L", ["d"], {"L": " a, b ,,c "}) == ["a", "b", "c"]
    assert env.env_list("L", ["d"], {}) == ["d"]


def _settings_in_subprocess(**overrides: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PASSGATE_")}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings as s;"
            "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)",
        ],
        cwd=ROOT,
        env={**clean, **overrides},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    result = _settings_in_subprocess()
    assert result.returncode != 0
    assert "PASSGATE_SECRET_KEY" in result.stderr


def test_production_settings_refuse_to_count_rate_limits_per_process() -> None:
    result = _settings_in_subprocess(PASSGATE_SECRET_KEY="k" * 40)
    assert result.returncode != 0
    assert "PASSGATE_CACHE_URL is required" in result.stderr


def test_production_defaults_are_secure() -> None:
    result = _settings_in_subprocess(
        PASSGATE_SECRET_KEY="k" * 40, PASSGATE_CACHE_URL="redis://127.0.0.1:6379/0"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "31536000"]


def test_debug_mode_runs_without_secrets_over_http() -> None:
    result = _settings_in_subprocess(PASSGATE_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "0"]


def test_a_junk_setting_stops_the_process() -> None:
    result = _settings_in_subprocess(PASSGATE_DEBUG="1", PASSGATE_TENANT_CACHE_SECONDS="soon")
    assert result.returncode != 0
    assert "PASSGATE_TENANT_CACHE_SECONDS" in result.stderr
