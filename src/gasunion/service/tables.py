"""The database tables (SQLAlchemy Core); the schema itself is made by the Alembic
migrations in ``migrations/versions``."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

parties = Table(
    "parties", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("country", String(8), nullable=False),
    Column("created_at", String(40), nullable=False),
)

tokens = Table(
    "tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("party_id", String(64), ForeignKey("parties.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
)

interconnection_points = Table(
    "interconnection_points", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("tso", String(64), ForeignKey("parties.id"), nullable=False),
    Column("counter_tso", String(64), ForeignKey("parties.id"), nullable=False),
    Column("capacity_forward_kwh_d", Float, nullable=True),
    Column("capacity_reverse_kwh_d", Float, nullable=True),
)

nominations = Table(
    "nominations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("gas_day", String(10), nullable=False, index=True),
    Column("ip", String(64), ForeignKey("interconnection_points.id"), nullable=False),
    Column("tso", String(64), nullable=False),
    Column("counter_tso", String(64), nullable=False),
    Column("shipper", String(64), ForeignKey("parties.id"), nullable=False),
    Column("counter_shipper", String(64), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("slot", Integer, nullable=False),  # the hour, or -1 for a daily nomination
    Column("quantity_kwh", Float, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    UniqueConstraint("gas_day", "ip", "tso", "counter_tso", "shipper", "counter_shipper",
                     "direction", "slot", name="uq_nomination_key"),
)

confirmations = Table(
    "confirmations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("gas_day", String(10), nullable=False, index=True),
    Column("ip", String(64), nullable=False),
    Column("slot", Integer, nullable=False),
    Column("tso", String(64), nullable=False),
    Column("counter_tso", String(64), nullable=False),
    Column("shipper", String(64), nullable=False),
    Column("counter_shipper", String(64), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("nomination_id", Integer, nullable=False),
    Column("nominated_kwh", Float, nullable=False),
    Column("counter_nominated_kwh", Float, nullable=True),
    Column("confirmed_kwh", Float, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("rule", String(16), nullable=False),
    Column("matched_by", String(64), nullable=False),
    Column("matched_at", String(40), nullable=False),
)

idempotency = Table(
    "idempotency_keys", metadata,
    Column("party_id", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("etag", String(64), nullable=True),
    Column("created_at", String(40), nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("data", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

#: one row (id 1): the last sequence number and hash of the audit chain; every write
#: transaction updates it first, which serialises the writers (the chain stays linear)
audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
