"""End-to-end reference for Verdant's quantum SVM: qiskit-machine-learning's ad hoc data, its
FidelityStatevectorKernel (ZZ map, reps 2) and scikit-learn's SVC on the precomputed kernels.

Run from this folder:  python3 make_pipeline_fixture.py   (writes adhoc_qsvc.json)
Made with qiskit 2.6.2, qiskit-machine-learning 0.9.1, scikit-learn (see the JSON's "versions").
"""
import json

import numpy as np
import sklearn
from qiskit.circuit.library import zz_feature_map
from qiskit_machine_learning.datasets import ad_hoc_data
from qiskit_machine_learning.kernels import FidelityStatevectorKernel
from qiskit_machine_learning.utils import algorithm_globals
from sklearn.svm import SVC

algorithm_globals.random_seed = 2026
train_x, train_y, test_x, test_y = ad_hoc_data(training_size=20, test_size=10, n=2, gap=0.3, one_hot=False)
kernel = FidelityStatevectorKernel(feature_map=zz_feature_map(2, reps=2))
k_train = kernel.evaluate(train_x)
k_test = kernel.evaluate(test_x, train_x)
svc = SVC(kernel="precomputed", C=1.0).fit(k_train, train_y)
json.dump({
    "versions": {"scikit-learn": sklearn.__version__, "numpy": np.__version__},
    "train_x": train_x.tolist(), "train_y": [int(v) for v in train_y],
    "test_x": test_x.tolist(), "test_y": [int(v) for v in test_y],
    "support": svc.support_.tolist(), "n_support": svc.n_support_.tolist(),
    "dual_coef": svc.dual_coef_.tolist(), "intercept": svc.intercept_.tolist(),
    "decision_test": svc.decision_function(k_test).tolist(),
    "predict_test": [int(v) for v in svc.predict(k_test)],
    "test_accuracy": float(svc.score(k_test, test_y)),
}, open("adhoc_qsvc.json", "w"))
print("test accuracy", svc.score(k_test, test_y))
