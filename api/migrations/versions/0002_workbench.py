"""The evaluator's workbench (issue 22): cases grouped by 案号, the final grade and 办结日期 in the
case index, the conclusion's override reason, the review history table.

Additive only: new columns with defaults and a new table; columns or tables already there (a
database whose tables ``create_all`` made from the current models) are left as they are.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CASE_COLUMNS = [
    sa.Column("group_key", sa.String(200), nullable=False, server_default=""),
    sa.Column("latest", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("group_scans", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("final_grade", sa.String(16), nullable=False, server_default=""),
    sa.Column("closed_on", sa.Date(), nullable=True),
    sa.Column("closed_month", sa.String(7), nullable=False, server_default=""),
]
CASE_INDEXES = ["group_key", "latest", "final_grade", "closed_on", "closed_month"]
CONCLUSION_COLUMNS = [
    sa.Column("by_label", sa.String(100), nullable=False, server_default=""),
    sa.Column("machine_grade", sa.String(16), nullable=False, server_default=""),
    sa.Column("override_reason", sa.Text(), nullable=False, server_default=""),
]


def _add_columns(table: str, columns: list[sa.Column]) -> None:
    insp = sa.inspect(op.get_bind())
    if table not in insp.get_table_names():
        return  # created later by create_all with every column
    have = {c["name"] for c in insp.get_columns(table)}
    missing = [c for c in columns if c.name not in have]
    if missing:
        with op.batch_alter_table(table) as batch:
            for c in missing:
                batch.add_column(c.copy())


def _add_indexes(table: str, columns: list[str]) -> None:
    insp = sa.inspect(op.get_bind())
    if table not in insp.get_table_names():
        return
    have = {i["name"] for i in insp.get_indexes(table)}
    for col in columns:
        name = f"ix_{table}_{col}"
        if name not in have:
            op.create_index(name, table, [col])


#: composite indexes (name → columns): the list, newest first; the dashboards over the newest scans
CASE_COMPOSITE = {
    "ix_web_cases_latest_scanned": ["latest", "scanned_at"],
    "ix_web_cases_case_dashboard": ["latest", "scan_status", "department", "prosecutor", "closed_month", "grade",
                                    "final_grade", "points", "findings", "key_review"],
}


def upgrade() -> None:
    _add_columns("web_cases", CASE_COLUMNS)
    _add_indexes("web_cases", CASE_INDEXES)
    insp = sa.inspect(op.get_bind())
    if "web_cases" in insp.get_table_names():
        have = {i["name"] for i in insp.get_indexes("web_cases")}
        for name, cols in CASE_COMPOSITE.items():
            if name not in have:
                op.create_index(name, "web_cases", cols)
    _add_columns("web_conclusions", CONCLUSION_COLUMNS)
    if "web_review_events" not in sa.inspect(op.get_bind()).get_table_names():
        op.create_table(
            "web_review_events",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("group_key", sa.String(200), nullable=False),
            sa.Column("scan_id", sa.String(32), nullable=False),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.Column("by", sa.String(100), nullable=False, server_default=""),
            sa.Column("by_label", sa.String(100), nullable=False, server_default=""),
            sa.Column("role", sa.String(16), nullable=False, server_default=""),
            sa.Column("action", sa.String(16), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("grade", sa.String(16), nullable=False, server_default=""),
            sa.Column("note", sa.Text(), nullable=False, server_default=""),
        )
        for col in ("group_key", "scan_id", "at"):
            op.create_index(f"ix_web_review_events_{col}", "web_review_events", [col])
    if "web_cases" in sa.inspect(op.get_bind()).get_table_names():
        # the case index is rebuilt from the reports, with the new columns filled (api.web.index.sync)
        op.execute("UPDATE web_cases SET scan_status = ''")


def downgrade() -> None:
    op.drop_table("web_review_events")
    with op.batch_alter_table("web_conclusions") as batch:
        for c in CONCLUSION_COLUMNS:
            batch.drop_column(c.name)
    with op.batch_alter_table("web_cases") as batch:
        for name in CASE_COMPOSITE:
            batch.drop_index(name)
        for col in CASE_INDEXES:
            batch.drop_index(f"ix_web_cases_{col}")
        for c in CASE_COLUMNS:
            batch.drop_column(c.name)
