import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_a_secret_key_stops_naming_the_variable():
    result = _manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="x7$Kq!v2pL9#mR4tW8zB1nC6yH3jF5sD0gA-eU_oI+kP=rT&wQ",
        DJANGO_ALLOWED_HOSTS="kam.example.com",
        DJANGO_SECURE="true",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_the_quick_start_imports_without_any_setting():
    """`make run` imports kam (and its Celery app) before it sets anything up."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", "import kam.devservices"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_beat_runs_the_nightly_scoring_at_the_configured_time(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-scoring"]
    assert entry["task"] == "insights.tasks.nightly_scoring"
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {0}
