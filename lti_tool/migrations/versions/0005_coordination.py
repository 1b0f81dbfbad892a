"""coordination: organisations, learner → organisation (learner_organisations), report facts on module_progress, grants, audit log

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-12 10:00:00.000000
"""
import uuid
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('bundesland', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'name', name='uq_organisation_name')
    )
    op.create_table('coordinator_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coordinator_issuer', sa.String(length=500), nullable=False),
    sa.Column('coordinator_sub', sa.String(length=255), nullable=False),
    sa.Column('platform_issuer', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('coordinator_issuer', 'coordinator_sub', 'platform_issuer', name='uq_grant')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('actor_issuer', sa.String(length=500), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_audit_log_issuer_at', 'audit_log', ['actor_issuer', 'at'], unique=False)

    op.create_table('learner_organisations',
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('chosen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('learner_id')
    )
    op.create_index('ix_learner_organisations_organisation_id', 'learner_organisations', ['organisation_id'],
                    unique=False)
    # learners: plain ADD COLUMNs (a batch rebuild of `learners` on SQLite would drop the table with foreign
    # keys on and cascade-delete every certificate).
    op.add_column('learners', sa.Column('role', sa.String(length=20), nullable=True))
    op.add_column('learners', sa.Column('last_seen_at', sa.DateTime(), nullable=True))
    op.create_index('ix_learners_issuer_role', 'learners', ['issuer', 'role'], unique=False)

    op.add_column('module_progress', sa.Column('enrolled_at', sa.DateTime(), nullable=True))
    op.add_column('module_progress', sa.Column('started_at', sa.DateTime(), nullable=True))
    op.add_column('module_progress', sa.Column('passed_at', sa.DateTime(), nullable=True))
    for fact in ('enrolled', 'started', 'completed', 'passed'):
        op.create_index(f'ix_module_progress_report_{fact}', 'module_progress',
                        ['issuer', 'module_id', f'{fact}_at'], unique=False)
    _backfill()


def _backfill() -> None:
    """Facts of existing rows from their events; a learners row (pseudonym) for every learner with progress."""
    bind = op.get_bind()
    mp = sa.table('module_progress', sa.column('issuer'), sa.column('sub'), sa.column('module_id'),
                  sa.column('started_at'), sa.column('enrolled_at'), sa.column('passed_at'), sa.column('passed'),
                  sa.column('completed_at'), sa.column('updated_at'))
    ev = sa.table('progress_events', sa.column('issuer'), sa.column('sub'), sa.column('module_id'),
                  sa.column('created_at'))
    first = (sa.select(sa.func.min(ev.c.created_at))
             .where(ev.c.issuer == mp.c.issuer, ev.c.sub == mp.c.sub, ev.c.module_id == mp.c.module_id)
             .scalar_subquery())
    bind.execute(mp.update().values(started_at=first))
    bind.execute(mp.update().values(enrolled_at=sa.func.coalesce(mp.c.started_at, mp.c.updated_at)))
    bind.execute(mp.update().where(mp.c.passed == sa.true())
                 .values(passed_at=sa.func.coalesce(mp.c.completed_at, mp.c.updated_at)))
    learners = sa.table('learners', sa.column('issuer'), sa.column('sub'), sa.column('pseudonym'),
                        sa.column('created_at'))
    missing = bind.execute(
        sa.select(mp.c.issuer, mp.c.sub).distinct().where(~sa.exists(
            sa.select(learners.c.sub).where(learners.c.issuer == mp.c.issuer, learners.c.sub == mp.c.sub)))
    ).all()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for issuer, sub in missing:
        bind.execute(learners.insert().values(issuer=issuer, sub=sub, pseudonym=str(uuid.uuid4()), created_at=now))


def downgrade() -> None:
    for fact in ('passed', 'completed', 'started', 'enrolled'):
        op.drop_index(f'ix_module_progress_report_{fact}', table_name='module_progress')
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.drop_column('passed_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('enrolled_at')
    op.drop_index('ix_learners_issuer_role', table_name='learners')
    for column in ('last_seen_at', 'role'):
        op.drop_column('learners', column)
    op.drop_index('ix_learner_organisations_organisation_id', table_name='learner_organisations')
    op.drop_table('learner_organisations')
    op.drop_index('ix_audit_log_issuer_at', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('coordinator_grants')
    op.drop_table('organisations')
