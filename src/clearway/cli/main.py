"""The `clearway` command line: the wiring of its command groups, one module each in this package.

Every command goes through the same application services as the API; machine-readable output with --json.
"""

from __future__ import annotations

from typing import Any

import typer

from clearway.cli import openapi, serve, traffic, worker
from clearway.cli.access import keys_app, operators_app, people_app
from clearway.cli.alerts import alerts_app
from clearway.cli.db import audit_app, db_app
from clearway.cli.errors import DatabaseErrors
from clearway.cli.evaluation import register as register_evaluation
from clearway.cli.hs import hs_app
from clearway.cli.hs_learning import corrections_command as _registers_hs_learning  # noqa: F401
from clearway.cli.learning import register as register_learning
from clearway.cli.messages import messages_app
from clearway.cli.privacy import privacy_app
from clearway.cli.revenue import quote_command, revenue_app
from clearway.cli.risk import risk_app
from clearway.cli.screening import screening_app
from clearway.cli.stats import stats_app
from clearway.cli.tariff import tariff_app
from clearway.cli.webhooks import webhooks_app

# DatabaseErrors: a database missing, unreachable or not migrated is one line naming the fix, in every command.
app = typer.Typer(
    cls=DatabaseErrors, no_args_is_help=True, help="Clearway: customs clearance of cross-border e-commerce parcels."
)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(operators_app, name="operators")
app.add_typer(keys_app, name="keys")
app.add_typer(people_app, name="people")
app.add_typer(privacy_app, name="privacy")
app.add_typer(tariff_app, name="tariff")
app.add_typer(revenue_app, name="revenue")
app.add_typer(screening_app, name="screening")
app.add_typer(risk_app, name="risk")
app.add_typer(stats_app, name="stats")
app.add_typer(messages_app, name="messages")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(alerts_app, name="alerts")
app.add_typer(hs_app, name="hs")
register_learning(risk_app)
register_evaluation(risk_app)
app.command("quote")(quote_command)
serve.register(app)
openapi.register(app)
traffic.register(app)
worker.register(app)


def main() -> Any:
    return app()


if __name__ == "__main__":
    main()
