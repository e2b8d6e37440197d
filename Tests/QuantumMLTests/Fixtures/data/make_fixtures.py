"""Reference data for Tests/QuantumMLTests/DatasetTests.swift, made with scikit-learn and
qiskit-machine-learning. Run from anywhere: python make_fixtures.py (writes beside itself).

  iris.json     sklearn.datasets.load_iris(): the 150 x 4 values, targets and names
  ad_hoc_n2.json, ad_hoc_n3.json
                qiskit_machine_learning.datasets.ad_hoc_data(grid sampling, expectation labels,
                full entanglement) run for real, instrumented to record the random draw A that
                makes V, V itself, every grid label, a sample of the expectation values, and the
                returned training/test points
  scalers.json  MinMaxScaler(feature_range=(0, pi)) and StandardScaler fitted and applied
  split.json    per-class test counts of StratifiedShuffleSplit for several class sizes
"""
import json
import os

import numpy as np
import qiskit_machine_learning
import sklearn
from sklearn.datasets import load_iris
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from qiskit_machine_learning.datasets import ad_hoc as ad_hoc_module
from qiskit_machine_learning.utils import algorithm_globals

HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = {"scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "qiskit-machine-learning": qiskit_machine_learning.__version__}


def write(name, obj):
    obj = {"generator": "make_fixtures.py", "versions": VERSIONS, **obj}
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def iris():
    data = load_iris()
    write("iris.json", {
        "features": data.data.tolist(),
        "labels": data.target.tolist(),
        "classes": data.target_names.tolist(),
    })


def ad_hoc(n, seed, gap, training_size, test_size, stride):
    record = {}
    original_unitary = ad_hoc_module._random_unitary
    original_label = ad_hoc_module._exp_label

    def recording_unitary(dims):
        state = algorithm_globals.random.bit_generator.state
        v = original_unitary(dims)
        # Replay the same stream to recover the draw A = real + i imag that V was made from.
        replay = np.random.default_rng()
        replay.bit_generator.state = state
        real = replay.random((dims, dims))
        imag = replay.random((dims, dims))
        record["draw"] = {"real": real.tolist(), "imag": imag.tolist()}
        record["v"] = {"real": v.real.tolist(), "imag": v.imag.tolist()}
        return v

    expectations, labels = [], []

    def recording_label(psi, gap_, mat_o):
        psi_dag = np.transpose(psi.conj(), (0, 2, 1))
        expectations.extend(np.real(psi_dag @ mat_o @ psi).flatten().tolist())
        result = original_label(psi, gap_, mat_o)
        labels.extend(result.flatten().tolist())
        return result

    ad_hoc_module._random_unitary = recording_unitary
    ad_hoc_module._exp_label = recording_label
    try:
        algorithm_globals.random_seed = seed
        x_train, y_train, x_test, y_test = ad_hoc_module.ad_hoc_data(
            training_size, test_size, n, gap=gap, one_hot=False)
    finally:
        ad_hoc_module._random_unitary = original_unitary
        ad_hoc_module._exp_label = original_label

    count = {2: 100, 3: 20}[n]
    assert len(labels) == count ** n
    symbols = {1: "+", -1: "-", 0: "0"}
    write(f"ad_hoc_n{n}.json", {
        "n": n, "seed": seed, "gap": gap, "gridCount": count,
        "draw": record["draw"], "v": record["v"],
        # Grid points in itertools.product order (last feature fastest): x_i = 2 pi d_i / count.
        "gridLabels": "".join(symbols[int(round(v))] for v in labels),
        "expectationStride": stride,
        "expectations": expectations[::stride],
        "trainFeatures": x_train.tolist(), "trainLabels": y_train.tolist(),
        "testFeatures": x_test.tolist(), "testLabels": y_test.tolist(),
    })


def scalers():
    rng = np.random.default_rng(7)
    train = rng.normal(size=(25, 4)) * [1.0, 10.0, 0.01, 3.0] + [0.0, -5.0, 100.0, 2.0]
    train[:, 3] = 2.5  # a constant feature
    test = rng.normal(size=(6, 4)) * [2.0, 10.0, 0.01, 3.0] + [0.0, -5.0, 100.0, 2.0]
    out = {"train": train.tolist(), "test": test.tolist()}
    for name, scaler in (("minmax", MinMaxScaler(feature_range=(0, np.pi))), ("standard", StandardScaler())):
        scaler.fit(train)
        out[name] = {"train": scaler.transform(train).tolist(), "test": scaler.transform(test).tolist()}
    write("scalers.json", out)


def split():
    cases = []
    for counts in ([50, 50, 50], [10, 3, 7], [2, 2], [33, 17], [100, 5, 1000 // 7], [8, 9, 10, 11]):
        for fraction in (0.1, 0.2, 0.25, 0.3, 0.5, 0.75):
            y = np.concatenate([np.full(c, k) for k, c in enumerate(counts)])
            splitter = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=0)
            try:
                _, test = next(splitter.split(np.zeros((len(y), 1)), y))
            except ValueError:
                continue
            per_class = np.bincount(y[test], minlength=len(counts)).tolist()
            cases.append({"counts": counts, "fraction": fraction, "testCounts": per_class})
    write("split.json", {"cases": cases})


if __name__ == "__main__":
    iris()
    ad_hoc(2, seed=12345, gap=0.3, training_size=20, test_size=10, stride=5)
    ad_hoc(3, seed=2024, gap=0.3, training_size=15, test_size=5, stride=5)
    scalers()
    split()
