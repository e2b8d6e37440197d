#!/usr/bin/env python3
"""Differential-privacy accountant fixtures for Verdant, produced by Google's dp-accounting.

Verdant's accountants (Sources/Privacy/DifferentialPrivacy/) are written in Swift from the papers;
this script asks dp-accounting, through its public accountant API, for the values they must match:

  rdp_epsilon.json   ε and the optimal order of RdpAccountant (default orders, ADD_OR_REMOVE_ONE)
                     for PoissonSampledDpEvent(q, GaussianDpEvent(σ)) composed T times, on a grid of
                     (q, σ, T, δ) that includes q = 1 and tiny q. Verdant must agree to 1e-6 relative.
  rdp_curves.json    the RDP of one step at every default order, for each (q, σ) of that grid
                     (the accountant's ledger after one event), to locate a disagreement.
  pld_epsilon.json   ε of PLDAccountant (pessimistic connect-the-dots discretisation, the default
                     add/remove adjacency) for the same event, at two discretisation intervals.
                     Verdant must be within 1 % and never below.
  inverse.json       the noise multiplier σ that dp-accounting's calibrate_dp_mechanism finds for a
                     target (ε, δ, q, T), with each accountant (tolerance stated per record).
  stream.json        not from dp-accounting: the DP random generator's ChaCha20 keystream layout,
                     uniforms, Gaussian draws and Poisson batches, re-implemented here from
                     docs/privacy.md with the `cryptography` package's ChaCha20.

Run it again to regenerate (about 15 minutes on one core):

    python3 Tests/PrivacyTests/Fixtures/dp/make_dp_fixtures.py

Requires: python3, dp-accounting (tested with 0.6.0), numpy, scipy, cryptography.
"""

import json
import math
import os
import sys
import time
import warnings

import dp_accounting as dpa
import numpy as np
import scipy
from dp_accounting import mechanism_calibration
from dp_accounting.pld import pld_privacy_accountant
from dp_accounting.rdp import rdp_privacy_accountant

HERE = os.path.dirname(os.path.abspath(__file__))


def event(q, sigma, steps):
    return dpa.SelfComposedDpEvent(dpa.PoissonSampledDpEvent(q, dpa.GaussianDpEvent(sigma)), steps)


def number(x):
    """JSON has no infinity: write it as the string "inf"."""
    x = float(x)
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")


def write(name, payload):
    payload["generator"] = {
        "script": "Tests/PrivacyTests/Fixtures/dp/make_dp_fixtures.py",
        "dp_accounting": getattr(dpa, "__version__", "0.6.0"),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": sys.version.split()[0],
    }
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(payload, f, indent=1)
        f.write("\n")
    print(f"wrote {name}", file=sys.stderr)


# MARK: RDP

RDP_Q = [1.0, 0.5, 0.1, 0.01, 0.004, 1e-3, 1e-5, 1e-8]
RDP_SIGMA = [0.5, 0.7, 1.0, 1.1, 2.0, 4.0, 10.0, 50.0]
RDP_STEPS = [1, 10, 1000, 100000]
RDP_DELTA = [1e-3, 1e-5, 1e-9]


def rdp_fixtures():
    orders = list(rdp_privacy_accountant.DEFAULT_RDP_ORDERS)
    cases, curves = [], []
    for q in RDP_Q:
        for sigma in RDP_SIGMA:
            one = rdp_privacy_accountant.RdpAccountant()
            one.compose(event(q, sigma, 1))
            curves.append({"q": q, "sigma": sigma, "rdp": [number(r) for r in one._rdp]})
            for steps in RDP_STEPS:
                accountant = rdp_privacy_accountant.RdpAccountant()
                accountant.compose(event(q, sigma, steps))
                for delta in RDP_DELTA:
                    eps, order = accountant.get_epsilon_and_optimal_order(delta)
                    cases.append({"q": q, "sigma": sigma, "steps": steps, "delta": delta,
                                  "epsilon": number(eps), "order": float(order)})
    write("rdp_epsilon.json", {"accountant": "RdpAccountant(default orders, ADD_OR_REMOVE_ONE)",
                               "orders": orders, "cases": cases})
    write("rdp_curves.json", {"orders": orders, "curves": curves})


# MARK: PLD

# (q, σ, T) triples, each at two discretisation intervals; the small ones run in debug `swift test`.
PLD_GRID = [
    (1.0, 1.0, 1), (1.0, 1.0, 10), (1.0, 2.0, 100), (1.0, 5.0, 1000), (1.0, 0.8, 1),
    (0.5, 1.0, 10), (0.1, 1.0, 100), (0.1, 2.0, 1000),
    (0.01, 1.0, 1000), (0.01, 0.8, 100), (0.01, 2.0, 10000), (0.01, 5.0, 1000),
    (1e-3, 1.0, 10000), (1e-3, 0.8, 1000), (1e-5, 1.0, 100), (1e-5, 2.0, 100000),
]
PLD_DELTA = [1e-5, 1e-7]
PLD_INTERVALS = [1e-4, 1e-3]


def pld_fixtures():
    cases = []
    for q, sigma, steps in PLD_GRID:
        for interval in PLD_INTERVALS:
            started = time.time()
            accountant = pld_privacy_accountant.PLDAccountant(value_discretization_interval=interval)
            accountant.compose(event(q, sigma, steps))
            pmf = accountant._pld._pmf_remove
            for delta in PLD_DELTA:
                eps = accountant.get_epsilon(delta)
                cases.append({"q": q, "sigma": sigma, "steps": steps, "delta": delta,
                              "discretization": interval, "epsilon": number(eps),
                              "pmf_size": int(pmf.size)})
            print(f"pld q={q} sigma={sigma} T={steps} d={interval}: {time.time() - started:.1f}s",
                  file=sys.stderr)
    write("pld_epsilon.json", {"accountant": "PLDAccountant(ADD_OR_REMOVE_ONE, pessimistic connect-the-dots)",
                               "cases": cases})


# MARK: Inverse

INVERSE_RDP = [  # (ε, δ, q, T)
    (0.5, 1e-5, 0.01, 1000), (1.0, 1e-5, 0.01, 1000), (3.0, 1e-5, 0.01, 1000), (8.0, 1e-5, 0.01, 1000),
    (1.0, 1e-5, 1.0, 1), (2.0, 1e-6, 1.0, 100), (1.0, 1e-5, 0.25, 100), (3.0, 1e-5, 1e-3, 100000),
    (1.0, 1e-8, 1e-5, 1000), (8.0, 1e-5, 0.2, 20),
]
INVERSE_PLD = [
    (1.0, 1e-5, 0.01, 100), (3.0, 1e-5, 0.01, 1000), (1.0, 1e-5, 1.0, 1), (2.0, 1e-5, 0.25, 20),
]
RDP_TOLERANCE = 1e-9
PLD_TOLERANCE = 1e-7


def inverse_fixtures():
    cases = []
    for kind, grid, tolerance in (("rdp", INVERSE_RDP, RDP_TOLERANCE), ("pld", INVERSE_PLD, PLD_TOLERANCE)):
        for eps, delta, q, steps in grid:
            started = time.time()
            if kind == "rdp":
                fresh = rdp_privacy_accountant.RdpAccountant
            else:
                fresh = pld_privacy_accountant.PLDAccountant
            sigma = mechanism_calibration.calibrate_dp_mechanism(
                fresh, lambda s, q=q, steps=steps: event(q, s, steps), eps, delta,
                bracket_interval=mechanism_calibration.ExplicitBracketInterval(0.2, 200.0),
                tol=tolerance)
            check = fresh()
            check.compose(event(q, sigma, steps))
            cases.append({"accountant": kind, "epsilon": eps, "delta": delta, "q": q, "steps": steps,
                          "sigma": float(sigma), "tolerance": tolerance,
                          "epsilon_at_sigma": number(check.get_epsilon(delta))})
            print(f"inverse {kind} eps={eps} q={q} T={steps}: sigma={sigma:.9f} "
                  f"({time.time() - started:.1f}s)", file=sys.stderr)
    write("inverse.json", {"method": "mechanism_calibration.calibrate_dp_mechanism, bracket [0.2, 200]",
                           "cases": cases})


# MARK: Random stream

def stream_key(seed):
    import hashlib
    return hashlib.sha256(b"verdant/dp-random/v1" + seed.to_bytes(8, "little")).digest()


def keystream(key, first_block, count_bytes):
    """ChaCha20 blocks from `first_block`, nonce = 0^32 || (block >> 32) LE64, counter = block mod 2^32."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
    out = b""
    block = first_block
    while len(out) < count_bytes:
        counter = block % 2**32
        nonce = bytes(4) + (block >> 32).to_bytes(8, "little")
        cipher = Cipher(algorithms.ChaCha20(key, counter.to_bytes(4, "little") + nonce), mode=None)
        out += cipher.encryptor().update(bytes(64))
        block += 1
    return out[:count_bytes]


def stream_fixtures():
    seed = 7
    key = stream_key(seed)
    data = keystream(key, 0, 8 * 1100)
    words = [int.from_bytes(data[8 * i: 8 * i + 8], "little") for i in range(1100)]
    picked = [0, 1, 2, 511, 512, 513, 1099]
    # Uniforms (k + 1/2) 2^-53 and Gaussian draws s (z1 + z2 + z3 + z4) / 2, Box-Muller pairs.
    uniforms = [((w >> 11) + 0.5) * 2.0**-53 for w in words]
    draws = []
    for n in range(8):
        u = uniforms[4 * n: 4 * n + 4]
        r1, r2 = math.sqrt(-2 * math.log(u[0])), math.sqrt(-2 * math.log(u[2]))
        z = [r1 * math.cos(2 * math.pi * u[1]), r1 * math.sin(2 * math.pi * u[1]),
             r2 * math.cos(2 * math.pi * u[3]), r2 * math.sin(2 * math.pi * u[3])]
        draws.append(2.5 * (0.5 * (z[0] + z[1] + z[2] + z[3])))
    # Poisson batches: seed 11, N = 50, q = 0.3; row i joins when its word < floor(q 2^64).
    batch_words_data = keystream(stream_key(11), 0, 8 * 100)
    batch_words = [int.from_bytes(batch_words_data[8 * i: 8 * i + 8], "little") for i in range(100)]
    threshold = int(0.3 * 2.0**64)
    batches = [[i for i in range(50) if batch_words[50 * b + i] < threshold] for b in range(2)]
    # Chunks around the 2^32-block counter wrap: chunk 2^26 - 1 ends at block 2^32 - 1.
    wrap = {str(chunk): keystream(key, chunk * 64, 32).hex() for chunk in (2**26 - 1, 2**26)}
    write("stream.json", {
        "seed": seed, "key": key.hex(),
        "words": {str(i): format(words[i], "016x") for i in picked},
        "uniforms": uniforms[:4], "gaussian_sd": 2.5, "gaussian_draws": draws,
        "poisson": {"seed": 11, "dataset_size": 50, "q": 0.3, "threshold": format(threshold, "016x"),
                    "batches": batches},
        "chunk_prefixes": wrap,
    })


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    import logging
    logging.getLogger("absl").setLevel(logging.ERROR)
    which = sys.argv[1:] or ["rdp", "pld", "inverse", "stream"]
    if "rdp" in which:
        rdp_fixtures()
    if "pld" in which:
        pld_fixtures()
    if "inverse" in which:
        inverse_fixtures()
    if "stream" in which:
        stream_fixtures()
