"""Billing: price lists, invoice lines, and what subscriptions and invoices
need for the invoice run (billing state, price overrides, credits, the
invoice address snapshot).

Written by hand. Every new column of an existing table is either nullable
or has a server default, so the rows already there survive. On SQLite the
tables are altered in place, never copied and dropped: dropping the old
copy of ``subscriptions`` would run the ``ON DELETE CASCADE`` of the
tables that point at it, with foreign keys on as the app keeps them.

Subscriptions already in a register were billed outside this register
(an older system, or the demo's generated invoices): those that have
started count as billed up to their end, or up to the upgrade day when
they are continuous, so the first invoice run does not bill their past
again. Continuous ones are taken as monthly; a fixed term's length is
its dates' length in whole months.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "product_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("continuous", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["operators.id"],
            name=op.f("fk_product_prices_created_by_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_prices_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_prices")),
        sa.UniqueConstraint(
            "product_id",
            "continuous",
            "term_months",
            "valid_from",
            name="uq_product_prices_term_valid_from",
        ),
    )
    op.create_index(
        op.f("ix_product_prices_product_id"), "product_prices", ["product_id"]
    )

    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column(
            "discount_percent", sa.Numeric(precision=5, scale=2), nullable=False
        ),
        sa.Column("discount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("vat_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("vat", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("net", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("gross", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("credit_of_line_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["credit_of_line_id"],
            ["invoice_lines.id"],
            name=op.f("fk_invoice_lines_credit_of_line_id_invoice_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_lines_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_invoice_lines_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_invoice_lines_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
    )
    op.create_index(
        op.f("ix_invoice_lines_invoice_id"), "invoice_lines", ["invoice_id"]
    )
    op.create_index(
        op.f("ix_invoice_lines_subscription_id"), "invoice_lines", ["subscription_id"]
    )
    op.create_index(
        op.f("ix_invoice_lines_credit_of_line_id"),
        "invoice_lines",
        ["credit_of_line_id"],
    )

    false = sa.text("false")
    for column in (
        sa.Column("term_months", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("continuous", sa.Boolean(), nullable=False, server_default=false),
        sa.Column("list_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column(
            "price_override_reason",
            sa.String(length=500),
            nullable=False,
            server_default="",
        ),
        sa.Column("billed_until", sa.Date(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    ):
        op.add_column("subscriptions", column)
    _add_reference(sqlite, "subscriptions", "continued_from_id", "subscriptions")

    for column in (
        sa.Column("reference_rf", sa.String(length=34), nullable=False, server_default=""),
        sa.Column(
            "net_total", sa.Numeric(precision=12, scale=2), nullable=False,
            server_default="0",
        ),
        sa.Column(
            "vat_total", sa.Numeric(precision=12, scale=2), nullable=False,
            server_default="0",
        ),
        sa.Column(
            "surcharge", sa.Numeric(precision=12, scale=2), nullable=False,
            server_default="0",
        ),
        sa.Column("direct_payment", sa.Boolean(), nullable=False, server_default=false),
        sa.Column("address_name", sa.String(length=200), nullable=False, server_default=""),
        sa.Column(
            "address_street", sa.String(length=200), nullable=False, server_default=""
        ),
        sa.Column(
            "address_postal_code", sa.String(length=20), nullable=False,
            server_default="",
        ),
        sa.Column(
            "address_post_town", sa.String(length=100), nullable=False,
            server_default="",
        ),
        sa.Column(
            "address_country", sa.String(length=2), nullable=False, server_default="FI"
        ),
        sa.Column(
            "einvoice_address", sa.String(length=40), nullable=False, server_default=""
        ),
        sa.Column(
            "einvoice_operator", sa.String(length=40), nullable=False, server_default=""
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    ):
        op.add_column("invoices", column)
    _add_reference(sqlite, "invoices", "credit_of_id", "invoices")
    _add_reference(sqlite, "invoices", "created_by_id", "operators")
    op.create_index(op.f("ix_invoices_credit_of_id"), "invoices", ["credit_of_id"])

    _existing_subscriptions(sqlite)


def _add_reference(sqlite: bool, table: str, column: str, referred: str) -> None:
    """Add the nullable foreign-key column ``column`` to ``table``."""
    name = f"fk_{table}_{column}_{referred}"
    if sqlite:
        # SQLite adds a column with its REFERENCES clause in place; Alembic
        # would rebuild the whole table to add the constraint.
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {name} REFERENCES {referred} (id)"
        )
        return
    op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
    op.create_foreign_key(name, table, referred, [column], ["id"])


def _existing_subscriptions(sqlite: bool) -> None:
    """Billing state and terms for the subscriptions made before billing."""
    op.execute(
        "UPDATE subscriptions SET continuous = (ends_on IS NULL), "
        "billed_until = COALESCE(ends_on, CURRENT_DATE) "
        "WHERE starts_on <= CURRENT_DATE"
    )
    op.execute(
        "UPDATE subscriptions SET continuous = (ends_on IS NULL) "
        "WHERE starts_on > CURRENT_DATE"
    )
    days = (
        "(julianday(ends_on) - julianday(starts_on) + 1)"
        if sqlite
        else "(ends_on - starts_on + 1)"
    )
    greatest = "MAX" if sqlite else "GREATEST"
    # Whole months of about 30.44 days, at least one.
    op.execute(
        f"UPDATE subscriptions SET term_months = "
        f"{greatest}(1, CAST(ROUND({days} / 30.44) AS INTEGER)) "
        "WHERE ends_on IS NOT NULL"
    )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index(op.f("ix_invoices_credit_of_id"), table_name="invoices")
    invoice_columns = [
        "reference_rf", "net_total", "vat_total", "surcharge", "direct_payment",
        "address_name", "address_street", "address_postal_code",
        "address_post_town", "address_country", "einvoice_address",
        "einvoice_operator", "created_at", "version", "credit_of_id",
        "created_by_id",
    ]
    subscription_columns = [
        "term_months", "continuous", "list_price", "price_override_reason",
        "billed_until", "removed_at", "version", "continued_from_id",
    ]
    if not sqlite:
        op.drop_constraint("fk_invoices_credit_of_id_invoices", "invoices")
        op.drop_constraint("fk_invoices_created_by_id_operators", "invoices")
        op.drop_constraint(
            "fk_subscriptions_continued_from_id_subscriptions", "subscriptions"
        )
    # SQLite (3.35 and later) drops a column in place, its own REFERENCES
    # clause included, once no index names it.
    for column in invoice_columns:
        op.drop_column("invoices", column)
    for column in subscription_columns:
        op.drop_column("subscriptions", column)
    op.drop_index(
        op.f("ix_invoice_lines_credit_of_line_id"), table_name="invoice_lines"
    )
    op.drop_index(op.f("ix_invoice_lines_subscription_id"), table_name="invoice_lines")
    op.drop_index(op.f("ix_invoice_lines_invoice_id"), table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_index(op.f("ix_product_prices_product_id"), table_name="product_prices")
    op.drop_table("product_prices")
