"""trainer interventions: quiz_interventions (extra attempts granted, quiz reset)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quiz_interventions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('module_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('attempts_used', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_quiz_interventions_learner_module', 'quiz_interventions', ['issuer', 'sub', 'module_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_quiz_interventions_learner_module', table_name='quiz_interventions')
    op.drop_table('quiz_interventions')
