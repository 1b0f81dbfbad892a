"""LTI Advantage: AGS endpoints on resource links, NRPS URL on contexts, the score outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lti_resource_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ags_lineitems_url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('ags_lineitem_url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('ags_scopes', sa.Text(), nullable=True))
    with op.batch_alter_table('lti_context', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nrps_url', sa.String(length=1000), nullable=True))
    op.create_table('score_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.String(length=36), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('module_id', sa.String(length=100), nullable=False),
    sa.Column('resource_link_pk', sa.Integer(), nullable=True),
    sa.Column('progress_event_id', sa.Integer(), nullable=True),
    sa.Column('lineitem_url', sa.String(length=1000), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['progress_event_id'], ['progress_events.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['lti_registration.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_pk'], ['lti_resource_link.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('score_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_score_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_score_outbox_learner_link', ['issuer', 'sub', 'resource_link_pk', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_outbox_resource_link_pk'), ['resource_link_pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('score_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_outbox_resource_link_pk'))
        batch_op.drop_index('ix_score_outbox_learner_link')
        batch_op.drop_index('ix_score_outbox_due')
    op.drop_table('score_outbox')
    with op.batch_alter_table('lti_context', schema=None) as batch_op:
        batch_op.drop_column('nrps_url')
    with op.batch_alter_table('lti_resource_link', schema=None) as batch_op:
        batch_op.drop_column('ags_scopes')
        batch_op.drop_column('ags_lineitem_url')
        batch_op.drop_column('ags_lineitems_url')
