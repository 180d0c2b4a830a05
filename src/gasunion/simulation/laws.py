"""Codes of the branch laws of the steady-state equations (one law per branch).

Unknowns: squared pressure ``pi = p^2`` [bar^2] at free junctions and the mass flow ``q``
[kg/s] of every branch (positive from ``from_junction`` to ``to_junction``).
"""

PIPE = 0  #: e^{-s} pi_i - pi_j - K(Z) * phi(q) = 0  (pipes and drag resistors)
EQUAL = 1  #: pi_i - pi_j = 0 (short pipes, open valves, bypass, open regulators)
RATIO = 2  #: pi_j - r^2 pi_i = 0 (compressor with fixed ratio)
POUT = 3  #: pi_j - p_set^2 = 0 (regulator / compressor with outlet set-point)
PLOSS = 4  #: p_i - p_j - dp * tanh(q / eps) = 0 (resistor with fixed pressure loss)
CLOSED = 5  #: q = 0 (closed valves, compressors off, closed regulators)

LAW_NAMES = {PIPE: "pipe", EQUAL: "equal", RATIO: "ratio", POUT: "p_out", PLOSS: "p_loss",
             CLOSED: "closed"}
