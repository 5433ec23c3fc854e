"""Baseline: the schema as the service created it before migrations (issue 22).

Until this revision the tables were created by ``metadata.create_all`` wherever they were first
used (``api.db``, ``api.web.models``, ``assistant.dispositions``, ``api.batches``); a database of
that time has every table of this revision and no ``alembic_version``. Such a database is brought
to this revision as it is (nothing to change), and so is a new one, whose tables ``create_all``
has just made. Later revisions change the schema additively and check what is there first, so
they apply to both.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
