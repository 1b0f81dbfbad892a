"""credential keys separate from the LTI keys; a status list index per certificate (issue 16)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credential_keys',
    sa.Column('kid', sa.String(length=100), nullable=False),
    sa.Column('private_pem', sa.Text(), nullable=False),
    sa.Column('public_jwk', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('kid')
    )
    with op.batch_alter_table('certificates') as batch:
        batch.add_column(sa.Column('status_index', sa.Integer(), nullable=True))
        batch.create_index('ix_certificates_status_index', ['status_index'], unique=True)
    # Credentials issued so far were signed with LTI keys, whose kid is the bare thumbprint. Their public keys move
    # into the credential key set as legacy keys (no private key: they never sign again), so those credentials keep
    # verifying after the LTI keys rotate away (lti_tool.credential_keys.jwks publishes them under both kids).
    op.execute(sa.text(
        "INSERT INTO credential_keys (kid, private_pem, public_jwk, created_at, retired_at) "
        "SELECT kid, '', public_jwk, created_at, COALESCE(retire_at, created_at) FROM lti_tool_key"
    ))


def downgrade() -> None:
    with op.batch_alter_table('certificates') as batch:
        batch.drop_index('ix_certificates_status_index')
        batch.drop_column('status_index')
    op.drop_table('credential_keys')
