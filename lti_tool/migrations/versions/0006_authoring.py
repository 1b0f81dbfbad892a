"""authoring: authored modules (draft + optimistic lock), immutable versions, content-addressed media

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 16:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('authored_modules',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('owner_issuer', sa.String(length=500), nullable=False),
    sa.Column('registration_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('copied_from', sa.String(length=100), nullable=True),
    sa.Column('draft', sa.Text(), nullable=False),
    sa.Column('draft_revision', sa.Integer(), nullable=False),
    sa.Column('draft_updated_at', sa.DateTime(), nullable=False),
    sa.Column('draft_updated_by', sa.String(length=64), nullable=False),
    sa.Column('published_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_authored_modules_owner', 'authored_modules', ['owner_issuer', 'status'])
    op.create_table('authored_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.String(length=100), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('published_by', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('restored_from', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['module_id'], ['authored_modules.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('module_id', 'number', name='uq_authored_version'),
    )
    op.create_table('authored_blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256'),
    )


def downgrade() -> None:
    op.drop_table('authored_blobs')
    op.drop_table('authored_versions')
    op.drop_index('ix_authored_modules_owner', table_name='authored_modules')
    op.drop_table('authored_modules')
