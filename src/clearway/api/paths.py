"""Path parameters that only match well-formed ids.

A consignment id is 32 lowercase hex digits (clearance.model.new_id). Routing on that shape, not
on "any segment", keeps /v1/consignments/{consignment_id} from claiming its sibling
/v1/consignments/batch: a GET there is then a 405 that names POST alone, as the document says, not
a lookup of a consignment called "batch". A well-formed id that is unknown (or another operator's)
still reaches the route and is its 404 problem; a malformed one matches no route and is the
router's 404 problem.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path
from starlette.convertors import Convertor, register_url_convertor

CONSIGNMENT_ID_PATTERN = "[0-9a-f]{32}"


class ConsignmentIdConvertor(Convertor[str]):
    regex = CONSIGNMENT_ID_PATTERN

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


# Starlette's convertors are global; registered on import, before any route below uses the name.
register_url_convertor("consignment_id", ConsignmentIdConvertor())

# The route template's segment, and the parameter as the document describes it (the convertor has
# already checked the pattern, so FastAPI's check of it never refuses anything).
CONSIGNMENT = "{consignment_id:consignment_id}"
ConsignmentId = Annotated[
    str,
    Path(pattern=f"^{CONSIGNMENT_ID_PATTERN}$", description="The consignment's id, as its submission answered it."),
]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def date_text(value: object) -> object:
    """Only a YYYY-MM-DD date in a query: pydantic would also read a number as Unix time ("0.0" and
    1e-282 are 1970-01-01), which the document (format: date) refuses."""
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value
