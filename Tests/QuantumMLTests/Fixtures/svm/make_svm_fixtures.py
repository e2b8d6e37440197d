#!/usr/bin/env python3
"""Reference data for QuantumML's support vector classifier (issue 7 §3).

Writes, next to this script:
  classical_kernels.json   linear and RBF kernels from sklearn.metrics.pairwise, and
                           SVC(gamma='scale')._gamma for a few feature matrices
  svc_<case>.json          one classification problem each: a precomputed training kernel
                           (nTrain x nTrain), labels 0..<classCount, a test kernel (nTest x nTrain)
                           and one or more fits of sklearn.svm.SVC(kernel='precomputed')
                           (which wraps LIBSVM) with their support_, n_support_, dual_coef_,
                           intercept_, n_iter_, decision_function (decision_function_shape='ovo')
                           and predict on the test kernel, and predict on the training kernel.

Kernel entries are written with 8 decimals and the fits are made on exactly those values, so
the doubles a reader parses are the doubles LIBSVM saw. Seeds are fixed; rerunning the script
rewrites identical files (for the same scikit-learn / numpy versions, recorded in each file).

Run:  python3 make_svm_fixtures.py      (needs numpy and scikit-learn; the Swift tests never run it)
"""
import json
import os

import numpy as np
import sklearn
from sklearn.datasets import load_iris
from sklearn.metrics.pairwise import linear_kernel, rbf_kernel, sigmoid_kernel
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = {"sklearn": sklearn.__version__, "numpy": np.__version__}


def written(matrix):
    """The matrix as it will be read back: each entry rounded to 8 decimals."""
    return np.array([[float(f"{v:.8f}") for v in row] for row in np.atleast_2d(matrix)])


def scale_gamma(x):
    """sklearn's gamma='scale', read from a fitted SVC rather than recomputed."""
    y = np.arange(x.shape[0]) % 2
    return float(SVC(gamma="scale").fit(x, y)._gamma)


def fit_record(train_kernel, labels, test_kernel, c, shrinking=True):
    model = SVC(kernel="precomputed", C=c, shrinking=shrinking, tol=1e-3,
                decision_function_shape="ovo").fit(train_kernel, labels)
    decision = model.decision_function(test_kernel)
    if decision.ndim == 1:
        decision = decision.reshape(-1, 1)
    return {
        "c": c,
        "tolerance": 1e-3,
        "shrinking": shrinking,
        "support": model.support_.tolist(),
        "n_support": model.n_support_.tolist(),
        "dual_coef": model.dual_coef_.tolist(),
        "intercept": model.intercept_.tolist(),
        "n_iter": [int(v) for v in np.atleast_1d(model.n_iter_)],
        "decision_function": decision.tolist(),
        "predict": model.predict(test_kernel).tolist(),
        "train_predict": model.predict(train_kernel).tolist(),
    }


def tied_rows(train_kernel, labels, c, rng, count, width):
    """Random test-kernel rows whose one-vs-one votes tie (sklearn then picks the lowest class)."""
    model = SVC(kernel="precomputed", C=c, decision_function_shape="ovo").fit(train_kernel, labels)
    k = len(model.classes_)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    candidates = written(rng.uniform(-0.5, 1.0, size=(4000, width)))
    decision = model.decision_function(candidates)
    rows = []
    for row, values in zip(candidates, decision):
        votes = np.zeros(k, dtype=int)
        for (i, j), v in zip(pairs, values):
            votes[i if v > 0 else j] += 1
        if (votes == votes.max()).sum() > 1:
            rows.append(row)
        if len(rows) == count:
            break
    assert len(rows) == count, "not enough tied rows"
    return np.array(rows)


def save_case(name, description, train_kernel, labels, test_kernel, fits, extra=None):
    record = {
        "name": name,
        "description": description,
        "versions": VERSIONS,
        "class_count": int(labels.max()) + 1,
        "labels": labels.tolist(),
        "train_kernel": train_kernel.tolist(),
        "test_kernel": test_kernel.tolist(),
        "fits": [fit_record(train_kernel, labels, test_kernel, c, s) for c, s in fits],
    }
    if extra:
        record.update(extra)
    with open(os.path.join(HERE, f"svc_{name}.json"), "w") as f:
        json.dump(record, f, separators=(",", ":"))
        f.write("\n")


def blobs(rng, counts, centers, spread):
    x = np.vstack([rng.normal(loc=c, scale=spread, size=(n, len(c))) for n, c in zip(counts, centers)])
    y = np.concatenate([np.full(n, k) for k, n in enumerate(counts)])
    order = rng.permutation(len(y))  # interleave the classes: grouping must not rely on input order
    return x[order], y[order]


def main():
    # Binary, linearly separable, linear kernel.
    rng = np.random.default_rng(7001)
    x, y = blobs(rng, [14, 16], [(-2.0, -1.0), (2.0, 1.5)], 0.6)
    xt, _ = blobs(rng, [5, 5], [(-2.0, -1.0), (2.0, 1.5)], 1.2)
    save_case("binary_separable", "two well separated blobs, linear kernel",
              written(linear_kernel(x)), y, written(linear_kernel(xt, x)), [(1.0, True)])

    # Binary, overlapping classes, RBF kernel with gamma='scale'; several C, with and without shrinking.
    rng = np.random.default_rng(7002)
    x, y = blobs(rng, [35, 45], [(-0.6, 0.0), (0.6, 0.3)], 1.0)
    xt, _ = blobs(rng, [10, 10], [(-0.6, 0.0), (0.6, 0.3)], 1.0)
    g = scale_gamma(x)
    save_case("binary_overlap", "two overlapping blobs, RBF kernel (gamma='scale'), C = 0.5, 10, 100 and 1000; "
              "at C = 100 shrinking changes the result, so both are recorded",
              written(rbf_kernel(x, gamma=g)), y, written(rbf_kernel(xt, x, gamma=g)),
              [(0.5, True), (10.0, True), (10.0, False), (100.0, True), (100.0, False), (1000.0, True)], {"gamma": g})

    # Three classes: iris, stratified split, RBF kernel with gamma='scale'; plus rows with tied votes.
    iris = load_iris()
    x, xt, y, _ = train_test_split(iris.data, iris.target, test_size=0.3, random_state=0, stratify=iris.target)
    g = scale_gamma(x)
    train_kernel = written(rbf_kernel(x, gamma=g))
    test_kernel = written(rbf_kernel(xt, x, gamma=g))
    ties = tied_rows(train_kernel, y, 1.0, np.random.default_rng(7003), 4, len(y))
    save_case("iris_rbf", "iris (105 train / 45 test, stratified), RBF kernel (gamma='scale'), C = 1 and 100; "
              "the last 4 test rows are random kernel rows whose votes tie",
              train_kernel, y, np.vstack([test_kernel, ties]), [(1.0, True), (100.0, True)], {"gamma": g})

    # Four classes of unequal size, random features, RBF kernel; plus rows with tied votes.
    rng = np.random.default_rng(7004)
    centers = [(0, 0, 0), (1.5, 0, 0.5), (0, 1.5, -0.5), (1, 1, 1.5)]
    x, y = blobs(rng, [12, 20, 9, 17], centers, 0.8)
    xt, _ = blobs(rng, [5, 5, 5, 5], centers, 0.8)
    train_kernel = written(rbf_kernel(x, gamma=0.5))
    test_kernel = written(rbf_kernel(xt, x, gamma=0.5))
    ties = tied_rows(train_kernel, y, 2.0, np.random.default_rng(7005), 4, len(y))
    save_case("four_class", "four classes (12, 20, 9, 17 samples), RBF kernel (gamma = 0.5), C = 2; "
              "the last 4 test rows are random kernel rows whose votes tie",
              train_kernel, y, np.vstack([test_kernel, ties]), [(2.0, True), (2.0, False)])

    # Three classes on a small integer grid, linear kernel: exact integer kernel values, duplicate
    # points (some with different labels) and many exact ties in the working-set selection.
    rng = np.random.default_rng(7006)
    x = rng.integers(-3, 4, size=(36, 2)).astype(float)
    y = ((x[:, 0] + 2 * x[:, 1] + rng.integers(-2, 3, size=36)) % 3).astype(int)
    xt = rng.integers(-3, 4, size=(12, 2)).astype(float)
    save_case("integer_ties", "three classes on an integer grid, linear kernel (exact values, many ties)",
              linear_kernel(x), y, linear_kernel(xt, x), [(1.0, True), (0.1, True)])

    # Binary, sigmoid kernel: not positive semi-definite (LIBSVM's tau safeguard is used).
    rng = np.random.default_rng(7007)
    x, y = blobs(rng, [18, 22], [(-1.0, 0.0), (1.0, 0.5)], 0.9)
    xt, _ = blobs(rng, [5, 5], [(-1.0, 0.0), (1.0, 0.5)], 0.9)
    train_kernel = written(sigmoid_kernel(x, gamma=0.8, coef0=-1.0))
    smallest = float(np.linalg.eigvalsh(train_kernel).min())
    assert smallest < -1e-3, smallest
    save_case("non_psd_sigmoid", "two blobs, sigmoid kernel tanh(0.8 x.y - 1): indefinite",
              train_kernel, y, written(sigmoid_kernel(xt, x, gamma=0.8, coef0=-1.0)), [(1.0, True), (5.0, True)],
              {"smallest_eigenvalue": smallest})

    # Classical kernels.
    rng = np.random.default_rng(7008)
    a = rng.normal(size=(12, 3))
    b = rng.normal(size=(7, 3)) * 2.0
    constant = np.full((5, 4), 0.25)
    kernels = {
        "versions": VERSIONS,
        "x": a.tolist(),
        "y": b.tolist(),
        "linear_xy": linear_kernel(a, b).tolist(),
        "rbf_gamma": 0.7,
        "rbf_xy": rbf_kernel(a, b, gamma=0.7).tolist(),
        "scale_gamma_x": scale_gamma(a),
        "scale_gamma_y": scale_gamma(b),
        "rbf_xx_scale": rbf_kernel(a, gamma=scale_gamma(a)).tolist(),
        "constant": constant.tolist(),
        "scale_gamma_constant": scale_gamma(constant),
    }
    with open(os.path.join(HERE, "classical_kernels.json"), "w") as f:
        json.dump(kernels, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
