"""The shipped GasLib instances with their nominations (tests/data/gaslib; GasLib, CC-BY 3.0,
Schmidt et al. 2017, Data 2(4):40): (network file, scenario file) below tests/data/gaslib.
Shared by the instance and pandapipes-comparison tests (not a test module)."""

INSTANCES = [
    ("GasLib-11/GasLib-11.net", "GasLib-11/GasLib-11.scn"),
    ("GasLib-24/GasLib-24.net", "GasLib-24/GasLib-24.scn"),
    ("GasLib-40/GasLib-40.net", "GasLib-40/GasLib-40.scn"),
    ("GasLib-135/GasLib-135.net", "GasLib-135/GasLib-135.scn"),
    ("GasLib-134/GasLib-134-v2.net", "GasLib-134/Nominations-134/2011-11-01.scn"),
    ("GasLib-134/GasLib-134-v2.net", "GasLib-134/Nominations-134/2011-11-02.scn"),
    ("GasLib-134/GasLib-134-v2.net", "GasLib-134/Nominations-134/2011-11-03.scn"),
    ("GasLib-Integration/GasLib-Integration.net", "GasLib-Integration/GasLib-Integration.scn"),
]
