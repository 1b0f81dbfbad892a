"""certificates: learners (pseudonyms) and issued certificates (one valid per learner and module)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

VALID_ONLY = sa.text("status = 'valid'")


def upgrade() -> None:
    op.create_table('learners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('pseudonym', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'sub', name='uq_learner'),
    sa.UniqueConstraint('pseudonym')
    )
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.String(length=100), nullable=False),
    sa.Column('module_snapshot', sa.Text(), nullable=False),
    sa.Column('learner_name', sa.String(length=200), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('verification_code', sa.String(length=40), nullable=False),
    sa.Column('credential_id', sa.String(length=500), nullable=False),
    sa.Column('credential_jwt', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_reason', sa.String(length=500), nullable=True),
    sa.Column('replaced_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaced_by'], ['certificates.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('verification_code')
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_learner_id'), ['learner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_module_id'), ['module_id'], unique=False)
        # At most one valid certificate per learner and module; revoked ones are kept beside it.
        batch_op.create_index('uq_certificates_one_valid', ['learner_id', 'module_id'], unique=True,
                              postgresql_where=VALID_ONLY, sqlite_where=VALID_ONLY)


def downgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_one_valid')
        batch_op.drop_index(batch_op.f('ix_certificates_module_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_learner_id'))

    op.drop_table('certificates')
    op.drop_table('learners')
