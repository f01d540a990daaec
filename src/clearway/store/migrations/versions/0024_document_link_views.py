"""Link views: what linking reads of each document, in a narrow column beside its body

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 14:00:00.000000

``documents.link_view`` (clearance.link_view, store.document_repo) holds the few values three-document
matching compares, so that the bulk path's link_view stage never decodes a body
(docs/adr/0006-columnar-bulk-path.md, step 2). Every stored document gets its view from its body
here; a row left without one (a hand-made insert) is still read correctly, through its body. A
trigger clears the view of a row whose body is rewritten without a new view (retention's
anonymisation), for the same fallback. ``documents`` is not partitioned (migration 0023 partitions
the consignments' family only), so this is one plain column on both databases.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clearway.store import document_repo

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("link_view", sa.Text(), nullable=True))
    bind = op.get_bind()
    document_repo.backfill(bind)
    document_repo.create_trigger(bind)


def downgrade() -> None:
    # The view is derived from the body: dropping it loses nothing.
    bind = op.get_bind()
    document_repo.drop_trigger(bind)
    if bind.dialect.name == "sqlite":
        # In place (SQLite 3.35+): batch mode would copy the table and drop the old one, which the
        # retention log's foreign key to documents refuses once any document was anonymised.
        op.execute("ALTER TABLE documents DROP COLUMN link_view")
    else:
        op.drop_column("documents", "link_view")
