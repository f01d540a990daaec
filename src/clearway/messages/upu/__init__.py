"""The UPU family: ITMATT (XML) and CUSITM (UN/EDIFACT) in, each postal item a consignment, and
CUSRSP (UN/EDIFACT) out, customs' answer per item. docs/messages.md has the mappings and the code
lists; docs/standards/upu.md the sources and what could not be confirmed."""
