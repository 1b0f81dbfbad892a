"""learner preferences: the interface language a learner chose and their reading settings (issue 17)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 19:55:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('learners') as batch:
        batch.add_column(sa.Column('ui_language', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('reading', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('learners') as batch:
        batch.drop_column('reading')
        batch.drop_column('ui_language')
