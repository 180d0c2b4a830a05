"""The initial schema: parties, tokens, interconnection points, nominations, confirmations,
idempotency keys and the hash-chained audit log.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _ts() -> sa.Column:
    return sa.Column("created_at", sa.String(40), nullable=False)


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("country", sa.String(8), nullable=False),
        _ts())
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("party_id", sa.String(64), sa.ForeignKey("parties.id"), nullable=False,
                  index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        _ts())
    op.create_table(
        "interconnection_points",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tso", sa.String(64), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("counter_tso", sa.String(64), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("capacity_forward_kwh_d", sa.Float, nullable=True),
        sa.Column("capacity_reverse_kwh_d", sa.Float, nullable=True))
    op.create_table(
        "nominations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("gas_day", sa.String(10), nullable=False, index=True),
        sa.Column("ip", sa.String(64), sa.ForeignKey("interconnection_points.id"),
                  nullable=False),
        sa.Column("tso", sa.String(64), nullable=False),
        sa.Column("counter_tso", sa.String(64), nullable=False),
        sa.Column("shipper", sa.String(64), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("counter_shipper", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("quantity_kwh", sa.Float, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        _ts(),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("gas_day", "ip", "tso", "counter_tso", "shipper", "counter_shipper",
                            "direction", "slot", name="uq_nomination_key"))
    op.create_table(
        "confirmations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("gas_day", sa.String(10), nullable=False, index=True),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("tso", sa.String(64), nullable=False),
        sa.Column("counter_tso", sa.String(64), nullable=False),
        sa.Column("shipper", sa.String(64), nullable=False),
        sa.Column("counter_shipper", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("nomination_id", sa.Integer, nullable=False),
        sa.Column("nominated_kwh", sa.Float, nullable=False),
        sa.Column("counter_nominated_kwh", sa.Float, nullable=True),
        sa.Column("confirmed_kwh", sa.Float, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("matched_by", sa.String(64), nullable=False),
        sa.Column("matched_at", sa.String(40), nullable=False))
    op.create_table(
        "idempotency_keys",
        sa.Column("party_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("etag", sa.String(64), nullable=True),
        _ts())
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False))
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False))
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])


def downgrade() -> None:
    for name in ("audit_head", "audit_log", "idempotency_keys", "confirmations", "nominations",
                 "interconnection_points", "tokens", "parties"):
        op.drop_table(name)
