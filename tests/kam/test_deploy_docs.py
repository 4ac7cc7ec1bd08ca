"""The operations guide and the container files stay in step with the code: every variable the
settings read is documented, and the Dockerfile/compose run what the Makefile and the systemd
units run."""

import re
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS = (BASE_DIR / "kam" / "settings.py").read_text()
DEPLOY = (BASE_DIR / "docs" / "deploy.md").read_text()
ENV_EXAMPLE = (BASE_DIR / ".env.example").read_text()


def settings_variables() -> set[str]:
    names = set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', SETTINGS))
    names |= set(re.findall(r'_required\(\s*"([A-Z][A-Z0-9_]+)"', SETTINGS))
    return names


def test_the_settings_read_the_variables_we_expect_to_find():
    # A guard for the regular expressions themselves.
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"} <= (
        settings_variables()
    )


def test_every_variable_is_in_env_example_and_the_deploy_guide():
    documented = set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]+)`", DEPLOY, re.MULTILINE))
    example = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE, re.MULTILINE))
    variables = settings_variables()
    assert sorted(variables - documented) == [], "missing from docs/deploy.md section 4"
    assert sorted(variables - example) == [], "missing from .env.example"
    assert sorted(documented - variables) == [], "documented but never read by kam/settings.py"


def test_compose_runs_the_five_services_with_the_same_commands_as_the_guide():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "web", "worker", "beat"}
    assert "gunicorn kam.wsgi" in services["web"]["command"]
    assert "manage.py migrate" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A kam worker")
    assert services["beat"]["command"].startswith("celery -A kam beat")
    assert "celery -A kam worker" in DEPLOY and "celery -A kam beat" in DEPLOY


def test_the_image_builds_like_the_makefile_installs():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    makefile = (BASE_DIR / "Makefile").read_text()
    assert "pip install -r requirements.txt" in dockerfile
    assert "pybabel compile --domain django --directory locale" in dockerfile
    assert "pybabel compile --domain django --directory locale" in makefile
    assert "collectstatic --noinput" in dockerfile
    assert '"gunicorn", "kam.wsgi"' in dockerfile
