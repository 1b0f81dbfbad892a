"""rollup levels: the dashboard counters also for every organisation together (org_key -1, all facts) and, for the
counted facts, for all modules together (module_id '*'), so a dashboard without an organisation filter reads a few
hundred counters per day instead of thousands (issue 20; ``lti_tool.rollups.levels``)

Both levels are sums of the counters already there (module × organisation), computed by the database. Two
indexes per table serve the reads by organisation level and by module level over a period range.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

TABLES = ('progress_rollups', 'progress_rollups_daily')
KEY = 'issuer, context_pk, module_id, org_key, grain, period, fact, bucket, n, total'
COUNTED = "('enrolled', 'started', 'completed', 'passed', 'certificates')"


def upgrade() -> None:
    for table in TABLES:
        # The dashboard's reads by organisation level and by module level, each over a period range.
        op.create_index(f'ix_{table}_org', table, ['issuer', 'context_pk', 'grain', 'org_key', 'period'])
        op.create_index(f'ix_{table}_module', table, ['issuer', 'context_pk', 'grain', 'module_id', 'period'])
        # Durations had the every-organisation level already (0010).
        op.execute(sa.text(
            f"INSERT INTO {table} ({KEY}) SELECT issuer, context_pk, module_id, -1, grain, period, fact, bucket, "
            f"SUM(n), SUM(total) FROM {table} WHERE org_key >= 0 AND fact <> 'duration' "
            "GROUP BY issuer, context_pk, module_id, grain, period, fact, bucket"))
        op.execute(sa.text(
            f"INSERT INTO {table} ({KEY}) SELECT issuer, context_pk, '*', org_key, grain, period, fact, bucket, "
            f"SUM(n), SUM(total) FROM {table} WHERE org_key >= 0 AND fact IN {COUNTED} "
            "GROUP BY issuer, context_pk, org_key, grain, period, fact, bucket"))


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f'ix_{table}_module', table_name=table)
        op.drop_index(f'ix_{table}_org', table_name=table)
        op.execute(sa.text(f"DELETE FROM {table} WHERE module_id = '*' OR (org_key = -1 AND fact <> 'duration')"))
