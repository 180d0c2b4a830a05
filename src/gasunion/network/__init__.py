"""Network data model: component tables, schema, validation."""

from gasunion.network.network import Network, NetworkError
from gasunion.network.schema import (
    BRANCHES,
    COMPONENTS,
    DESCRIPTIVE,
    ELEMENTS,
    NODE_ELEMENTS,
    attributes,
    schema,
)
from gasunion.network.validation import (
    Issue,
    NetworkValidationError,
    ValidationReport,
    islands,
    pressure_anchors,
    validate,
)

__all__ = [
    "BRANCHES",
    "COMPONENTS",
    "DESCRIPTIVE",
    "ELEMENTS",
    "NODE_ELEMENTS",
    "Issue",
    "Network",
    "NetworkError",
    "NetworkValidationError",
    "ValidationReport",
    "attributes",
    "islands",
    "pressure_anchors",
    "schema",
    "validate",
]
