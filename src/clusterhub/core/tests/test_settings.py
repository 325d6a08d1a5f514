"""Settings from the environment, read in a fresh interpreter for each case."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[3]

PROBE = """
import json
import clusterhub.settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST"),
    "port": db.get("PORT"), "user": db.get("USER"), "password": db.get("PASSWORD"),
    "options": db.get("OPTIONS", {}), "conn_max_age": db.get("CONN_MAX_AGE"),
    "is_postgres": s.DATABASE_IS_POSTGRES, "secret_key": s.SECRET_KEY,
    "data_dir": str(s.DATA_DIR), "debug": s.DEBUG, "allowed_hosts": s.ALLOWED_HOSTS,
    "sme_rule": s.CLUSTERHUB_SME_RULE, "follow_ups": s.CLUSTERHUB_FOLLOW_UP_MONTHS,
}))
"""


def settings_with(data_dir: Path, **env: str) -> dict[str, Any]:
    environ = {k: v for k, v in os.environ.items()
               if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS",
                            "CLUSTERHUB_SME_RULE", "CLUSTERHUB_FOLLOW_UP_MONTHS",
                            "DJANGO_SETTINGS_MODULE"}}
    environ.update(CLUSTERHUB_DATA_DIR=str(data_dir), PYTHONPATH=str(SRC), **env)
    done = subprocess.run([sys.executable, "-c", PROBE], env=environ, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_database_url_selects_postgresql(tmp_path: Path) -> None:
    s = settings_with(tmp_path, DATABASE_URL="postgres://u:p@h:5432/db")
    assert s["engine"] == "django.db.backends.postgresql"
    assert (s["name"], s["user"], s["password"], s["host"], s["port"]) == (
        "db", "u", "p", "h", 5432)
    assert s["conn_max_age"] == 60
    assert s["is_postgres"] is True


def test_without_database_url_sqlite_in_the_data_dir_with_wal(tmp_path: Path) -> None:
    s = settings_with(tmp_path / "data")
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["is_postgres"] is False
    assert Path(s["name"]) == (tmp_path / "data").resolve() / "clusterhub.sqlite3"
    assert s["data_dir"] == str((tmp_path / "data").resolve())
    assert (tmp_path / "data").is_dir()  # created when missing
    init = s["options"]["init_command"]
    assert "PRAGMA journal_mode=WAL" in init and "PRAGMA foreign_keys=ON" in init
    assert s["options"]["transaction_mode"] == "IMMEDIATE"


def test_empty_database_url_means_sqlite(tmp_path: Path) -> None:
    assert settings_with(tmp_path, DATABASE_URL="")["engine"] == "django.db.backends.sqlite3"


def test_secret_key_from_the_environment(tmp_path: Path) -> None:
    s = settings_with(tmp_path, SECRET_KEY="from-the-environment")
    assert s["secret_key"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_secret_key_generated_once_and_kept_in_the_data_dir(tmp_path: Path) -> None:
    first = settings_with(tmp_path)["secret_key"]
    path = tmp_path / "secret_key"
    assert len(first) >= 50
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings_with(tmp_path)["secret_key"] == first  # kept across starts
    assert settings_with(tmp_path / "elsewhere")["secret_key"] != first


def test_other_settings_from_the_environment(tmp_path: Path) -> None:
    s = settings_with(tmp_path, DEBUG="yes", ALLOWED_HOSTS="hub.example.org, ,x.org",
                      CLUSTERHUB_SME_RULE="my.rule", CLUSTERHUB_FOLLOW_UP_MONTHS="1,2")
    assert s["debug"] is True
    assert s["allowed_hosts"] == ["hub.example.org", "x.org"]
    assert s["sme_rule"] == "my.rule" and s["follow_ups"] == [1, 2]
    defaults = settings_with(tmp_path)
    assert defaults["debug"] is False
    assert defaults["sme_rule"] == "clusterhub.core.sme.seed_sme_rule"
    assert defaults["follow_ups"] == [3, 6, 12]


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_debug_truthy_values(tmp_path: Path, value: str) -> None:
    assert settings_with(tmp_path, DEBUG=value)["debug"] is True
