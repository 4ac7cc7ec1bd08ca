"""Micro-benchmark of the pure health scoring (no database): CPU µs per account to score, to
build the stored components and movers, and to encode them as JSON.

    DJANGO_DEBUG=true .venv/bin/python bench/scoring_micro.py
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
import django

django.setup()

import json  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402

from accounts.scoring import (  # noqa: E402
    DEFAULT_HEALTH_WEIGHTS,
    HealthConfig,
    HealthInputs,
    compute_health,
    health_movers,
)

rng = random.Random(1)
cfg = HealthConfig(weights=DEFAULT_HEALTH_WEIGHTS)
inputs = [
    HealthInputs(
        days_since_touch=rng.randint(0, 90),
        touch_cadence_days=30,
        active_stakeholders=5,
        has_decision_maker=True,
        has_champion=rng.random() < 0.5,
        engaged_stakeholders_90d=2,
        open_departures=0,
        sentiment_avg_90d=rng.random(),
        interactions_90d=4,
        satisfaction_pct=70.0,
        revenue_last_12m=Decimal("1000.00"),
        revenue_prev_12m=Decimal("900.00"),
        commitments_kept_90d=3,
        commitments_overdue=1,
        qbr_tracked=True,
        qbr_days_overdue=5,
        risks_tracked=False,
        days_to_renewal=100,
    )
    for _ in range(10000)
]
prev = {"engagement": 50, "coverage": 70}
t = time.process_time()
res = [compute_health(i, cfg) for i in inputs]
t1 = time.process_time()
rows = [
    {
        "account_id": 1,
        "score": r.score,
        "band": r.band,
        "components": [c.as_dict() for c in r.components],
        "previous_score": 3,
        "movers": health_movers(r, prev),
    }
    for r in res
]
t2 = time.process_time()
s = json.dumps(rows, separators=(",", ":"))
t3 = time.process_time()
per_account = 1e6 / len(inputs)
print(f"compute_health     {(t1 - t) * per_account:.1f} µs per account")
print(f"components+movers  {(t2 - t1) * per_account:.1f} µs per account")
print(
    f"JSON               {(t3 - t2) * per_account:.1f} µs per account,"
    f" {len(s) / len(inputs):.0f} bytes"
)
