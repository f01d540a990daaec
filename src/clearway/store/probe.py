"""`python -m clearway.store.probe URL`: exit 0 when the database answers within 3 seconds."""

from __future__ import annotations

import sys

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from clearway.store.engine import create_engine


def answers(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.update_query_dict({"connect_timeout": "3"})
    engine = create_engine(parsed.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(0 if answers(sys.argv[1]) else 1)
