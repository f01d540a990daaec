"""Migration 0010 on a database with data: holds for examination become customs controls, documents
learn their senders' kinds, and stored link reasons stop quoting names."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from clearway.store.migrate import upgrade

T = "2026-11-20 10:00:00.000000"


def test_upgrade_marks_controls_kinds_and_unquotes_names(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0009")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO operators (id, name, kind, country, contact_email, status, created_at) "
                "VALUES ('op-platform-1', 'P', 'marketplace', 'IE', 'p@example.org', 'active', :t)"
            ),
            {"t": T},
        )
        for cid, state, hold in (("c-red", "held", "inspection"), ("c-rfi", "held", "request_for_information")):
            conn.execute(
                sa.text(
                    "INSERT INTO consignments (id, operator_id, reference, version, body_hash, state, hold_reason,"
                    " destination_country, order_number, payment_key, transport_document, currency, goods_value,"
                    " received_at, updated_at) VALUES (:id, 'op-courier-1', :id, 1, 'h', :state, :hold, 'DE', 'O',"
                    " 'P', :id, 'EUR', '10.00', :t, :t)"
                ),
                {"id": cid, "state": state, "hold": hold, "t": T},
            )
        conn.execute(
            sa.text(
                "INSERT INTO documents (id, kind, operator_id, number, body_hash, received_at, body)"
                " VALUES ('d-1', 'order', 'op-platform-1', 'O', 'h', :t, '{}')"
            ),
            {"t": T},
        )
        link = (
            '{"status":"mismatch","required":["order"],"missing":[],"reasons":[{"code":"buyer_mismatch",'
            '"document":"order","message":"the order\'s buyer \'Anna Schmidt\' is not the declared buyer"}]}'
        )
        conn.execute(
            sa.text("INSERT INTO results (consignment_id, version, at, link) VALUES ('c-rfi', 1, :t, :link)"),
            {"t": T, "link": link},
        )
        conn.execute(
            sa.text(
                "INSERT INTO history (consignment_id, at, actor, to_state, reason) VALUES ('c-rfi', :t, 'x', 'held',"
                " :reason)"
            ),
            {"t": T, "reason": "payer 'Bernd Bauer' is not the buyer and was not authenticated"},
        )
    upgrade(url)
    with engine.connect() as conn:
        controls = dict(conn.execute(sa.text("SELECT id, control FROM consignments")).all())
        assert controls == {"c-red": "selected", "c-rfi": None}
        assert conn.execute(sa.text("SELECT sender_kind FROM documents")).scalar_one() == "marketplace"
        stored = conn.execute(sa.text("SELECT link FROM results")).scalar_one()
        reason = conn.execute(sa.text("SELECT reason FROM history")).scalar_one()
    engine.dispose()
    assert "Anna Schmidt" not in stored and "the order's buyer is not the declared buyer" in stored
    assert reason == "the payer is not the buyer and was not authenticated"
