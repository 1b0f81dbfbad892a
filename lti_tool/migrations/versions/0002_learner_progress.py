"""learner progress: progress_events (facts) and module_progress (derived state)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 13:22:13.879962
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('module_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('module_id', sa.String(length=100), nullable=False),
    sa.Column('lessons_viewed', sa.Text(), nullable=False),
    sa.Column('lessons_done', sa.Text(), nullable=False),
    sa.Column('quiz_attempts', sa.Integer(), nullable=False),
    sa.Column('quiz_score', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('completed', sa.Boolean(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('last_lesson_id', sa.String(length=100), nullable=True),
    sa.Column('last_position', sa.Float(), nullable=True),
    sa.Column('content_version', sa.String(length=50), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'sub', 'module_id', name='uq_module_progress')
    )
    op.create_table('progress_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('module_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('lesson_id', sa.String(length=100), nullable=True),
    sa.Column('data', sa.Text(), nullable=True),
    sa.Column('content_version', sa.String(length=50), nullable=False),
    sa.Column('resource_link_pk', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['resource_link_pk'], ['lti_resource_link.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('progress_events', schema=None) as batch_op:
        batch_op.create_index('ix_progress_events_learner_module', ['issuer', 'sub', 'module_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('progress_events', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_events_learner_module')

    op.drop_table('progress_events')
    op.drop_table('module_progress')
