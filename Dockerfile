# KAM: one image for the web, worker and beat processes (docs/deploy.md, section 10).
# Minimal on purpose; not built on the machine this was written on (no Docker there).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

# pg_dump/pg_restore for bin/backup.sh and bin/restore.sh (match the server's major version);
# Pango, HarfBuzz and a font for WeasyPrint (the QBR prep pack PDF).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /app kam
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=kam:kam . .

# Build-time steps of `make install` and docs/deploy.md: translations and static files. The
# settings need a secret key to load when DJANGO_DEBUG is false; this one exists only here.
RUN pybabel compile --domain django --directory locale \
    && DJANGO_SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput \
    && mkdir -p /app/data \
    && chown -R kam:kam /app/staticfiles /app/data

USER kam
EXPOSE 8000
# The web process; docker-compose.yml runs the worker and beat from the same image.
CMD ["gunicorn", "kam.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", \
     "--access-logfile", "-"]
