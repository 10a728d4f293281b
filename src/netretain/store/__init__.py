"""The store protocol, the input specs and the catalogue of tables: the leaf every layer reads.

Nothing here runs a query; engines implement `Store`, the service layer runs expressions on it.
"""

from netretain.store.catalogue import input_table, refused_table
from netretain.store.inputs import INGEST_ORDER, SPECS, Column, InputSpec
from netretain.store.protocol import Progress, Staged, Store

__all__ = [
    "INGEST_ORDER",
    "SPECS",
    "Column",
    "InputSpec",
    "Progress",
    "Staged",
    "Store",
    "input_table",
    "refused_table",
]
