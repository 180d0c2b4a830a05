"""Volume nominations: the volume basis (m3, gross calorific value and its reference
conditions) of a nomination made in m3; its quantity_kwh stays in ``nominations``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nomination_volumes",
        sa.Column("nomination_id", sa.Integer, sa.ForeignKey("nominations.id"),
                  primary_key=True),
        sa.Column("volume_m3", sa.Float, nullable=False),
        sa.Column("gcv_kwh_m3", sa.Float, nullable=False),
        sa.Column("reference", sa.String(16), nullable=False))


def downgrade() -> None:
    op.drop_table("nomination_volumes")
