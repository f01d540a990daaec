"""Clearway's XML rendering of the H7 data set: element names, their EUCDM numbers, what each holds.

The EU publishes no XML schema for H7 to traders: each Member State's import system takes its own
message (docs/standards/eu.md). Clearway's rendering names each element by its EUCDM data element
name in camelCase (``intrinsicValue``), and an element may carry its EUCDM number in a ``de``
attribute (``de="14 14 000 000"``), as in the reconstructed sample of the research. A ``de`` that
does not match the element's number is an error: it says the writer meant another data element.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class Spec:
    de: str | None  # the EUCDM number; None for Clearway's containers (goodsShipment, address)
    many: bool = False  # the data set allows it more than once at this level


_ADDRESS = {
    "streetAndNumber": Spec("018 019"),
    "country": Spec("018 020"),
    "postcode": Spec("018 021"),
    "city": Spec("018 022"),
}
_CONTACT = {"name": Spec("074 016"), "phoneNumber": Spec("074 075"), "eMailAddress": Spec("074 076")}
_DOCUMENT = {"referenceNumber": Spec("001 000"), "type": Spec("002 000")}
_AMOUNT = {"currency": Spec("012 000"), "amount": Spec("014 000")}

# Children of each element Clearway reads, by the element's own name.
CHILDREN: dict[str, dict[str, Spec]] = {
    "H7Message": {"preparationDateAndTime": Spec(None), "H7Declaration": Spec(None, many=True)},
    "H7Declaration": {
        "additionalDeclarationType": Spec("11 02 001 000"),
        "lrn": Spec("12 09 001 000"),
        "deferredPayment": Spec("12 10 001 000", many=True),
        "importer": Spec("13 04 000 000"),
        "declarant": Spec("13 05 000 000"),
        "representative": Spec("13 06 000 000"),
        "goodsShipment": Spec(None),
    },
    "importer": {"name": Spec("016 000"), "identificationNumber": Spec("017 000"), "address": Spec("018 000")},
    "declarant": {
        "name": Spec("016 000"),
        "identificationNumber": Spec("017 000"),
        "address": Spec("018 000"),
        "contactPerson": Spec("074 000"),
    },
    "representative": {
        "identificationNumber": Spec("017 000"),
        "status": Spec("030 000"),
        "contactPerson": Spec("074 000"),
    },
    "exporter": {"name": Spec("016 000"), "address": Spec("018 000")},
    "address": _ADDRESS,
    "contactPerson": _CONTACT,
    "goodsShipment": {
        "exporter": Spec("13 01 000 000"),
        "additionalFiscalReference": Spec("13 16 000 000", many=True),
        "transportDocument": Spec("12 05 000 000", many=True),
        "previousDocument": Spec("12 01 000 000", many=True),
        "additionalInformation": Spec("12 02 000 000", many=True),
        "supportingDocument": Spec("12 03 000 000", many=True),
        "additionalReference": Spec("12 04 000 000", many=True),
        "referenceNumberUCR": Spec("12 08 001 000"),
        "transportAndInsuranceCostsToTheDestination": Spec("14 15 000 000"),
        "locationOfGoods": Spec("16 15 000 000"),
        "grossMass": Spec("18 04 001 000"),
        "goodsShipmentItem": Spec(None, many=True),
    },
    "goodsShipmentItem": {
        "goodsItemNumber": Spec("11 03 001 000"),
        "additionalProcedure": Spec("11 10 001 000", many=True),
        "previousDocument": Spec("12 01 000 000", many=True),
        "additionalInformation": Spec("12 02 000 000", many=True),
        "supportingDocument": Spec("12 03 000 000", many=True),
        "additionalReference": Spec("12 04 000 000", many=True),
        "transportDocument": Spec("12 05 000 000", many=True),
        "referenceNumberUCR": Spec("12 08 001 000"),
        "exporter": Spec("13 01 000 000"),
        "dutiesAndTaxes": Spec("14 03 000 000", many=True),
        "intrinsicValue": Spec("14 14 000 000"),
        "transportAndInsuranceCostsToTheDestination": Spec("14 15 000 000"),
        "supplementaryUnits": Spec("18 02 001 000"),
        "grossMass": Spec("18 04 001 000"),
        "descriptionOfGoods": Spec("18 05 001 000"),
        "packaging": Spec("18 06 000 000", many=True),
        "commodityCode": Spec("18 09 000 000"),
    },
    "additionalFiscalReference": {"role": Spec("031 000"), "vatIdentificationNumber": Spec("034 000")},
    "transportDocument": _DOCUMENT,
    "previousDocument": _DOCUMENT,
    "supportingDocument": _DOCUMENT,
    "additionalReference": _DOCUMENT,
    "additionalInformation": {"code": Spec("008 000"), "text": Spec("009 000")},
    "dutiesAndTaxes": {"methodOfPayment": Spec("038 000")},
    "intrinsicValue": _AMOUNT,
    "transportAndInsuranceCostsToTheDestination": _AMOUNT,
    "packaging": {"numberOfPackages": Spec("004 000")},
    "commodityCode": {"harmonizedSystemSubHeadingCode": Spec("056 000")},
}
# Elements whose content Clearway does not read (location of goods has a deep tree of its own): they
# are taken as they are, neither mapped nor checked.
OPAQUE = frozenset({"locationOfGoods"})
