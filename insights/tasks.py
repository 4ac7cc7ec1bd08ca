"""Celery entry points for tiering and health: ids and dates in, services do the work."""

from datetime import date

from celery import group, shared_task

from accounts import services
from insights import playbooks
from insights import services as insights_services
from insights.portfolio import portfolio_cache_reset, portfolio_cache_warm
from insights.portfolio_slices import portfolio_slices_check as slices_check
from insights.portfolio_slices import portfolio_slices_refresh as slices_refresh
from kam.celery import idempotent_task
from kam.dates import business_date


@idempotent_task(time_limit=600)
def health_chunk(account_ids: list[int], day: str) -> int:
    """Score one chunk. A failed chunk retries alone; finished chunks are not redone, and a
    rerun updates the same (account, day) rows."""
    return insights_services.health_recompute(account_ids=account_ids, day=date.fromisoformat(day))


@shared_task(time_limit=1800, soft_time_limit=1700)
def tiers_recompute() -> dict:
    return insights_services.tiers_recompute()


@shared_task(time_limit=1800, soft_time_limit=1700)
def nightly_scoring(day: str | None = None) -> int:
    """Tiers first (health reads the tier cadence), then the revenue windows the portfolio
    dashboard sums, then health fanned out in chunks so any number of workers share it (each
    chunk also updates its accounts' month rows for the dashboard trend). Returns the number of
    chunks queued."""
    day = day or business_date().isoformat()
    insights_services.tiers_recompute(day=date.fromisoformat(day))
    services.account_revenue_refresh(day=date.fromisoformat(day))
    portfolio_cache_reset()  # new tiers and revenue windows: no dashboard from yesterday
    chunks = insights_services.account_id_chunks()
    group(health_chunk.s(chunk, day) for chunk in chunks).apply_async()
    return len(chunks)


@shared_task(time_limit=120, soft_time_limit=100)
def portfolio_warm() -> int:
    """Keep everyone's unfiltered dashboard in the cache (insights.portfolio)."""
    return portfolio_cache_warm()


@idempotent_task(time_limit=300)
def portfolio_slices_refresh() -> int:
    """Every minute from beat: the dashboard's summary rows of every slice a write marked (the
    day's rows in full on a new day), so that pages rarely have any to compute."""
    return slices_refresh()


@idempotent_task(time_limit=900)
def portfolio_slices_check() -> int:
    """Nightly from beat, after scoring: every summary row computed again from the accounts,
    compared, repaired; the drift is logged. Returns the rows that had drifted."""
    return len(slices_check().drift)


@idempotent_task(time_limit=900)
def evaluate_playbooks(day: str | None = None) -> dict:
    """Nightly, after scoring: every playbook for every account (insights.playbooks). Safe to
    rerun and on two workers at once: an episode fires once."""
    today = date.fromisoformat(day) if day else business_date()
    return playbooks.playbooks_evaluate(today=today)


@idempotent_task(time_limit=120)
def playbooks_evaluate_accounts(account_ids: list[int]) -> dict:
    """Right after an event on these accounts (queued through the outbox by the services that
    record it: a departure, an NPS answer, a new owner, a band change)."""
    return playbooks.playbooks_evaluate(today=business_date(), account_ids=account_ids)
