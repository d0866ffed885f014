#!/usr/bin/python3
"""How far one cheap exact feature goes: per (n, k, m) group, a least-squares line from log2 of the largest
column 1-norm of P to log2 h_m, on course pickles; prints each group's label variance and the line's mean squared
residual, and their macro averages (the m-height metric of SPEC section 7 for this predictor, fitted in-sample).

  /usr/bin/python3 bench/scripts/mheight_colnorm_fit.py [PREFIX]   # default: ../shared/mheight/data/sample-n9
"""
import collections
import os
import pickle
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
prefix = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "mheight", "data", "sample-n9")
with open(prefix + "-n_k_m_P", "rb") as f:
    rows = pickle.load(f)
with open(prefix + "-mHeights", "rb") as f:
    heights = pickle.load(f)

groups = collections.defaultdict(list)
for (n, k, m, p), h in zip(rows, heights):
    p = np.asarray(p, dtype=float)
    groups[(n, k, m)].append((np.log2(h), np.log2(np.abs(p).sum(axis=0).max())))

var_sum = fit_sum = 0.0
for key in sorted(groups):
    a = np.array(groups[key])
    design = np.vstack([a[:, 1], np.ones(len(a))]).T
    coef = np.linalg.lstsq(design, a[:, 0], rcond=None)[0]
    resid = float(np.mean((design @ coef - a[:, 0]) ** 2))
    var = float(a[:, 0].var())
    var_sum += var
    fit_sum += resid
    print("%-12s rows %4d  label variance %.3f  line residual %.3f" % (key, len(a), var, resid))
print("macro: constant %.3f, line on log2 max column 1-norm %.3f" % (var_sum / len(groups), fit_sum / len(groups)))
