"""Daily coordination at interconnection points: nominations, matching (Regulation (EU)
2015/703 Art. 8), allocation (Art. 9) and the shippers' daily imbalance (Regulation (EU)
312/2014 Art. 19). Quantities are energy in kWh (gross calorific value) per gas day or hour.
"""

from gasunion.operations.allocation import AllocationError, allocate, imbalance
from gasunion.operations.hydraulic import hydraulic_check as hydraulic_check
from gasunion.operations.matching import (
    NominationError,
    match_nominations,
    read_capacity,
    read_nominations,
)

__all__ = ["AllocationError", "NominationError", "allocate", "imbalance", "match_nominations",
           "read_capacity", "read_nominations"]
