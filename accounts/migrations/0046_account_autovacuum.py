from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0045_account_pareto_idx"),
    ]

    # Autovacuum visits the accounts once 1 % of them (plus 500) have a dead version, instead of
    # 20 % (the stock scale factor). A night rewrites the accounts whose health, revenue window
    # or tier recommendation moved, 2-12 % of them on the demos: with the stock threshold no
    # vacuum followed, and until one does, every index-only read of the accounts (the list's
    # counts and pages, the dashboard's figures) also reads the heap page of each row rewritten.
    # At 100,000 accounts after a night the leader's list in each sort order took 66-83 ms (p50)
    # instead of 37-58 (bench/README.md, "Vacuumed after a night"; docs/deploy.md).
    operations = [
        migrations.RunSQL(
            "ALTER TABLE accounts_account SET "
            "(autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 500)",
            "ALTER TABLE accounts_account RESET "
            "(autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold)",
        ),
    ]
