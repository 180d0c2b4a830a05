"""Sparse LU factorisations for the Newton kernel: SuiteSparse KLU where installed, else SuperLU.

The reduced Newton matrix keeps its sparsity pattern for the whole life of a kernel; only its
values change. That is the case KLU was written for (Davis & Palamadai Natarajan 2010, "Algorithm
907: KLU, a direct sparse solver for circuit simulation problems", ACM TOMS 37(3) 36): the
symbolic analysis (AMD fill-reducing order) is done once, the first matrix is factorised with
partial pivoting, and every later matrix is *refactorised* with the same pivot sequence, which
skips the pivot search. Measured on the reduced matrices of generated meshed grids (2,000 and
20,000 junctions) a refactorisation took 0.22 ms and 4.4 ms against 1.45 ms and 31 ms for
SciPy's SuperLU with a precomputed order (see docs/benchmarks.md).

KLU is called through :mod:`ctypes` from the SuiteSparse shared library (Debian/Ubuntu package
``libklu1`` or ``libklu2``, conda ``suitesparse``); there is no Python dependency. Where the
library is missing, or ``GASUNION_LINEAR_SOLVER=superlu`` is set, :class:`SuperLU` is used.
After a refactorisation the reciprocal pivot growth is checked; below
:data:`RGROWTH_MIN` the matrix is factorised anew with fresh pivoting.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

#: refactorise with fresh pivots when the reciprocal pivot growth falls below this
RGROWTH_MIN = 1e-8


class SingularMatrixError(RuntimeError):
    """The matrix is singular to working precision."""


class _KluCommon(ctypes.Structure):
    """``klu_common`` of SuiteSparse KLU 1.x/2.x (int version)."""

    _fields_ = [("tol", ctypes.c_double), ("memgrow", ctypes.c_double),
                ("initmem_amd", ctypes.c_double), ("initmem", ctypes.c_double),
                ("maxwork", ctypes.c_double), ("btf", ctypes.c_int), ("ordering", ctypes.c_int),
                ("scale", ctypes.c_int), ("user_order", ctypes.c_void_p),
                ("user_data", ctypes.c_void_p), ("halt_if_singular", ctypes.c_int),
                ("status", ctypes.c_int), ("nrealloc", ctypes.c_int),
                ("structural_rank", ctypes.c_int), ("numerical_rank", ctypes.c_int),
                ("singular_col", ctypes.c_int), ("noffdiag", ctypes.c_int),
                ("flops", ctypes.c_double), ("rcond", ctypes.c_double),
                ("condest", ctypes.c_double), ("rgrowth", ctypes.c_double),
                ("work", ctypes.c_double), ("memusage", ctypes.c_size_t),
                ("mempeak", ctypes.c_size_t), ("_reserve", ctypes.c_byte * 256)]


_LIB: Any = None
_LIB_TRIED = False


def klu_library() -> Any:
    """The loaded KLU shared library, or ``None`` (not installed, or SuperLU forced)."""
    global _LIB, _LIB_TRIED
    if _LIB_TRIED:
        return _LIB
    _LIB_TRIED = True
    if os.environ.get("GASUNION_LINEAR_SOLVER", "").lower() == "superlu":
        return None
    names = [n for n in (ctypes.util.find_library("klu"), "libklu.so.2", "libklu.so.1",
                         "libklu.so", "libklu.dylib") if n]
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        vp = ctypes.c_void_p
        try:
            lib.klu_defaults.argtypes = [vp]
            lib.klu_analyze.restype = vp
            lib.klu_analyze.argtypes = [ctypes.c_int, vp, vp, vp]
            lib.klu_factor.restype = vp
            lib.klu_factor.argtypes = [vp, vp, vp, vp, vp]
            lib.klu_refactor.argtypes = [vp, vp, vp, vp, vp, vp]
            lib.klu_solve.argtypes = [vp, vp, ctypes.c_int, ctypes.c_int, vp, vp]
            lib.klu_rgrowth.argtypes = [vp, vp, vp, vp, vp, vp]
            lib.klu_free_symbolic.argtypes = [vp, vp]
            lib.klu_free_numeric.argtypes = [vp, vp]
        except AttributeError:  # not KLU
            continue
        if _self_test(lib):
            _LIB = lib
            return lib
    return None


def _self_test(lib: Any) -> bool:
    """Solve a small unsymmetric system and compare (guards against an ABI mismatch)."""
    a = sp.csc_matrix(np.array([[4.0, 1.0, 0.0], [2.0, 5.0, 1.0], [0.0, 3.0, 6.0]]))
    b = np.array([1.0, 2.0, 3.0])
    try:
        f = Klu(a, lib)
        f.factor(a.data)
        x = f.solve(b)
    except Exception:  # any failure: do not use KLU
        return False
    return bool(np.allclose(a @ x, b, rtol=1e-12, atol=1e-12))


class Klu:
    """KLU factorisation of matrices with the pattern of ``pattern`` (CSC)."""

    name = "klu"

    def __init__(self, pattern: sp.csc_matrix, lib: Any = None) -> None:
        self.lib = lib if lib is not None else klu_library()
        if self.lib is None:
            raise RuntimeError("KLU is not available")
        self.n = pattern.shape[0]
        self.ap = np.ascontiguousarray(pattern.indptr, dtype=np.int32)
        self.ai = np.ascontiguousarray(pattern.indices, dtype=np.int32)
        self.common = _KluCommon()
        self.lib.klu_defaults(ctypes.byref(self.common))
        self.common.btf = 0  # one irreducible block in practice: skip the BTF search
        self.common.ordering = 0  # AMD
        self.common.scale = 2  # scale rows by their largest entry
        self.symbolic = self.lib.klu_analyze(self.n, self.ap.ctypes.data, self.ai.ctypes.data,
                                             ctypes.byref(self.common))
        if not self.symbolic:
            raise SingularMatrixError(f"KLU analysis failed (status {self.common.status})")
        self.numeric: int | None = None
        self.ax = np.zeros(len(self.ai))
        self.refactorizations = 0
        self.fresh_factorizations = 0

    def factor(self, data: np.ndarray) -> None:
        """Factorise the matrix with values ``data`` (the pattern's order)."""
        self.ax = np.ascontiguousarray(data, dtype=np.float64)
        c = ctypes.byref(self.common)
        if self.numeric:
            ok = self.lib.klu_refactor(self.ap.ctypes.data, self.ai.ctypes.data,
                                       self.ax.ctypes.data, self.symbolic, self.numeric, c)
            if ok:
                self.lib.klu_rgrowth(self.ap.ctypes.data, self.ai.ctypes.data,
                                     self.ax.ctypes.data, self.symbolic, self.numeric, c)
                if self.common.rgrowth >= RGROWTH_MIN:
                    self.refactorizations += 1
                    return
            self._free_numeric()
        self.numeric = self.lib.klu_factor(self.ap.ctypes.data, self.ai.ctypes.data,
                                           self.ax.ctypes.data, self.symbolic, c)
        self.fresh_factorizations += 1
        if not self.numeric:
            raise SingularMatrixError(f"Factor is exactly singular (KLU status "
                                      f"{self.common.status})")

    def solve(self, b: np.ndarray) -> np.ndarray:
        x = np.array(b, dtype=np.float64, copy=True)
        self.lib.klu_solve(self.symbolic, self.numeric, self.n, 1, x.ctypes.data,
                           ctypes.byref(self.common))
        return x

    def _free_numeric(self) -> None:
        if self.numeric:
            p = ctypes.c_void_p(self.numeric)
            self.lib.klu_free_numeric(ctypes.byref(p), ctypes.byref(self.common))
            self.numeric = None

    def __del__(self) -> None:
        try:
            self._free_numeric()
            if self.symbolic:
                p = ctypes.c_void_p(self.symbolic)
                self.lib.klu_free_symbolic(ctypes.byref(p), ctypes.byref(self.common))
                self.symbolic = None
        except Exception:  # interpreter shutdown
            pass


class SuperLU:
    """SciPy's SuperLU in symmetric mode with a fixed order (the fallback)."""

    name = "superlu"

    def __init__(self) -> None:
        self.lu: spla.SuperLU | None = None

    def factor(self, matrix: sp.csc_matrix, natural: bool) -> spla.SuperLU:
        """Factorise; ``natural``: the matrix is already in its fill-reducing order."""
        try:
            self.lu = spla.splu(matrix, permc_spec="NATURAL" if natural else "MMD_AT_PLUS_A",
                                diag_pivot_thresh=0.1, options={"SymmetricMode": True})
        except RuntimeError as exc:
            raise SingularMatrixError(str(exc)) from None
        return self.lu
