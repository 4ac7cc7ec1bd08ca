"""A score's previous score is the score of the account's scored day before it, as the history
shows it. Scoring an earlier day after a later one (a backfill, `recompute_health --date`) left
the later row's previous score behind, so the health card said "+24" between 57 and 80.
insights.services.health_recompute now keeps the next row in step; this repairs the rows written
before. Rows with no previous score (bulk-loaded history) are left as they are: they state no
figure that could contradict the history."""

from django.db import migrations

REPAIR = """
UPDATE accounts_healthscore AS h SET previous_score = p.previous
FROM (
    SELECT id, lag(score) OVER (PARTITION BY account_id ORDER BY day) AS previous
    FROM accounts_healthscore
) AS p
WHERE h.id = p.id
  AND h.previous_score IS NOT NULL
  AND h.previous_score IS DISTINCT FROM p.previous
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0020_timeline_kinds_requests_and_playbooks")]

    operations = [migrations.RunSQL(REPAIR, reverse_sql=migrations.RunSQL.noop)]
