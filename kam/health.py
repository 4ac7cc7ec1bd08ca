"""Reachability checks for /healthz. Each returns (ok, detail) and never raises."""

import redis
from django.conf import settings
from django.db import connection


def database_status() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means unreachable, reported not raised
        return False, exc.__class__.__name__
    return True, "ok"


def broker_status() -> tuple[bool, str]:
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
    )
    try:
        client.ping()
    except Exception as exc:  # any failure means unreachable, reported not raised
        return False, exc.__class__.__name__
    finally:
        client.close()
    return True, "ok"
