"""rollups: the coordinator dashboard's counters (progress_rollups per month, progress_rollups_daily per day) and the courses learners worked from
(progress_courses), backfilled from the existing rows

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 16:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('progress_rollups', 'progress_rollups_daily'):  # month and day grain, the same columns
        op.create_table(table,
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('context_pk', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('grain', sa.String(length=1), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('module_id', sa.String(length=100), nullable=False),
        sa.Column('org_key', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('fact', sa.String(length=20), nullable=False),
        sa.Column('bucket', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('total', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('issuer', 'context_pk', 'grain', 'period', 'module_id', 'org_key', 'fact', 'bucket')
        )
    op.create_table('progress_courses',
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('module_id', sa.String(length=100), nullable=False),
    sa.Column('context_pk', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('issuer', 'sub', 'module_id', 'context_pk')
    )
    # Backfill: every counter from the rows already there (the same code the tool uses, lti_tool.rollups).
    from lti_tool import rollups

    rollups.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table('progress_courses')
    op.drop_table('progress_rollups_daily')
    op.drop_table('progress_rollups')
