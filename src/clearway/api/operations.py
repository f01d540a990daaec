"""Operation ids and audience tags of the OpenAPI document: one table, so that a generated client's
calls keep their names whatever the routes' functions are called (api/contract.py applies them)."""

from __future__ import annotations

from clearway.access.roles import PEOPLE_ROLES, Role

# -- operation ids and tags ---------------------------------------------------------------------
#
# One naming rule (docs/integration.md): ``<resource>.<action>``. The resource is the path's nouns
# after /v1 (areas such as admin., customs., risk. and stats. kept, path parameters left out); the
# action is a lowerCamel verb: list, read, create, createBatch, replace, or the verb of the action
# the path names (cancel, amend, control, suspend...). Ids are set here, not derived from function
# names, so that renaming a function never renames a generated client's call; an operation missing
# from this table fails the document's generation.

OPERATIONS: dict[tuple[str, str], tuple[str, str]] = {
    # Operators: declarations, documents, pre-loading, statements, quality, tokens.
    ("get", "/v1/consignments"): ("consignments.list", "operators"),
    ("post", "/v1/consignments"): ("consignments.create", "operators"),
    ("post", "/v1/consignments/batch"): ("consignments.createBatch", "operators"),
    ("get", "/v1/consignments/{consignment_id}"): ("consignments.read", "operators"),
    ("post", "/v1/consignments/{consignment_id}/amendments"): ("consignments.amend", "operators"),
    ("post", "/v1/consignments/{consignment_id}/cancellation"): ("consignments.cancel", "operators"),
    ("post", "/v1/consignments/{consignment_id}/return-refund"): ("consignments.refundReturn", "operators"),
    ("post", "/v1/orders"): ("orders.create", "operators"),
    ("post", "/v1/orders/batch"): ("orders.createBatch", "operators"),
    ("post", "/v1/payments"): ("payments.create", "operators"),
    ("post", "/v1/payments/batch"): ("payments.createBatch", "operators"),
    ("post", "/v1/waybills"): ("waybills.create", "operators"),
    ("post", "/v1/waybills/batch"): ("waybills.createBatch", "operators"),
    ("post", "/v1/preloading"): ("preloading.create", "operators"),
    ("get", "/v1/preloading/{filing_id}"): ("preloading.read", "operators"),
    ("post", "/v1/preloading/{filing_id}/information"): ("preloading.addInformation", "operators"),
    ("post", "/v1/preloading/{filing_id}/screening"): ("preloading.answerScreening", "operators"),
    ("get", "/v1/statements/schemes"): ("statements.schemes.read", "operators"),
    ("get", "/v1/statements/intermediaries"): ("statements.intermediaries.read", "operators"),
    ("get", "/v1/risk/quality"): ("risk.quality.read", "operators"),
    # Operators: standard messages (docs/messages.md).
    ("post", "/v1/messages/{ref}"): ("messages.create", "operators"),
    ("get", "/v1/messages/{ref}"): ("messages.read", "operators"),
    ("get", "/v1/messages/{ref}/original"): ("messages.original.read", "operators"),
    ("get", "/v1/messages/{ref}/responses"): ("messages.responses.list", "operators"),
    ("get", "/v1/consignments/{consignment_id}/responses"): ("consignments.responses.list", "operators"),
    ("post", "/v1/oauth/token"): ("oauth.token.create", "operators"),
    # Operators: signed notifications of their consignments (docs/webhooks.md).
    ("get", "/v1/webhooks"): ("webhooks.list", "operators"),
    ("post", "/v1/webhooks"): ("webhooks.create", "operators"),
    ("get", "/v1/webhooks/{webhook_id}"): ("webhooks.read", "operators"),
    ("delete", "/v1/webhooks/{webhook_id}"): ("webhooks.delete", "operators"),
    ("post", "/v1/webhooks/{webhook_id}/secret"): ("webhooks.secret.rotate", "operators"),
    ("get", "/v1/webhooks/{webhook_id}/deliveries"): ("webhooks.deliveries.list", "operators"),
    ("post", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redelivery"): (
        "webhooks.deliveries.redeliver",
        "operators",
    ),
    # Customs-to-customs alerts (docs/alerts.md): analysts import and export, officers read.
    ("post", "/v1/alerts/import"): ("alerts.import", "analysts"),
    ("get", "/v1/alerts/export"): ("alerts.export.read", "analysts"),
    ("get", "/v1/alerts"): ("alerts.list", "customs"),
    # Customs officers.
    ("get", "/v1/customs/consignments/{consignment_id}"): ("customs.consignments.read", "customs"),
    ("post", "/v1/customs/consignments/{consignment_id}/control"): ("customs.consignments.control", "customs"),
    ("post", "/v1/customs/consignments/{consignment_id}/outcome"): ("customs.consignments.recordOutcome", "customs"),
    # Analysts and statisticians: targeting rules, the model, statistics.
    ("get", "/v1/risk/rules"): ("risk.rules.list", "analysts"),
    ("get", "/v1/risk/rules/{name}"): ("risk.rules.read", "analysts"),
    ("put", "/v1/risk/rules/{name}"): ("risk.rules.replace", "analysts"),
    ("post", "/v1/risk/rules/{name}/retirement"): ("risk.rules.retire", "analysts"),
    ("get", "/v1/risk/model"): ("risk.model.read", "analysts"),
    ("get", "/v1/risk/model/drift"): ("risk.model.readDrift", "analysts"),
    ("post", "/v1/risk/model/retraining"): ("risk.model.retrain", "analysts"),
    ("get", "/v1/stats/kpis"): ("stats.kpis.read", "analysts"),
    ("get", "/v1/stats/series"): ("stats.series.read", "analysts"),
    ("get", "/v1/stats/breakdown"): ("stats.breakdown.read", "analysts"),
    ("get", "/v1/stats/export"): ("stats.export.read", "analysts"),
    # Administrators.
    ("get", "/v1/admin/operators"): ("admin.operators.list", "admin"),
    ("post", "/v1/admin/operators"): ("admin.operators.create", "admin"),
    ("post", "/v1/admin/operators/{operator_id}/activation"): ("admin.operators.activate", "admin"),
    ("post", "/v1/admin/operators/{operator_id}/suspension"): ("admin.operators.suspend", "admin"),
    ("get", "/v1/admin/operators/{operator_id}/keys"): ("admin.keys.list", "admin"),
    ("post", "/v1/admin/operators/{operator_id}/keys"): ("admin.keys.create", "admin"),
    ("post", "/v1/admin/keys/{key_id}/rotation"): ("admin.keys.rotate", "admin"),
    ("post", "/v1/admin/keys/{key_id}/revocation"): ("admin.keys.revoke", "admin"),
    ("get", "/v1/admin/people"): ("admin.people.list", "admin"),
    ("post", "/v1/admin/people"): ("admin.people.create", "admin"),
    ("post", "/v1/admin/people/{username}/disable"): ("admin.people.disable", "admin"),
    ("post", "/v1/admin/people/{username}/enable"): ("admin.people.enable", "admin"),
    ("post", "/v1/admin/people/{username}/password"): ("admin.people.resetPassword", "admin"),
    ("delete", "/v1/admin/people/{username}/sessions"): ("admin.people.endSessions", "admin"),
    ("get", "/v1/admin/security-events"): ("admin.securityEvents.list", "admin"),
    ("put", "/v1/admin/trust"): ("admin.trust.replace", "admin"),
    ("get", "/v1/admin/alerts/key"): ("admin.alerts.key.read", "admin"),
    ("post", "/v1/admin/alerts/key"): ("admin.alerts.key.create", "admin"),
    ("get", "/v1/admin/alerts/partners"): ("admin.alerts.partners.list", "admin"),
    ("put", "/v1/admin/alerts/partners/{code}"): ("admin.alerts.partners.replace", "admin"),
    # Every signed-in person, about their own account.
    ("post", "/v1/me/password"): ("me.changePassword", "people"),
    # Anyone.
    ("post", "/v1/quotes"): ("quotes.create", "public"),
    ("post", "/v1/classifications"): ("classifications.create", "public"),
    ("get", "/v1/restrictions"): ("restrictions.list", "public"),
    ("get", "/v1/tracking/{transport_document}"): ("tracking.read", "public"),
    ("get", "/v1/health"): ("health.read", "public"),
    ("get", "/v1/health/ready"): ("health.readiness.read", "public"),
}

TAGS: list[dict[str, str]] = [
    {"name": "operators", "description": "E-commerce operators' systems: an API key or an OAuth2 access token."},
    {"name": "customs", "description": "Customs officers, signed in: the full view of a consignment and control."},
    {"name": "analysts", "description": "Analysts and statisticians, signed in: targeting rules, model, statistics."},
    {"name": "admin", "description": "Administrators, signed in: operators, keys, people, security events."},
    {"name": "people", "description": "Every signed-in person, about their own account."},
    {"name": "public", "description": "Anyone, without credentials: quotes, restrictions, tracking, health."},
]

# The role a tag's audience needs: an operation is tagged for an audience that may call it.
TAG_ROLES: dict[str, frozenset[Role]] = {
    "operators": frozenset({Role.OPERATOR}),
    "customs": frozenset({Role.OFFICER}),
    "analysts": frozenset({Role.ANALYST, Role.STATISTICIAN}),
    "admin": frozenset({Role.ADMIN}),
    "people": PEOPLE_ROLES,
}
