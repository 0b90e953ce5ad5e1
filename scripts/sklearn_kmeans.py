#!/usr/bin/env python3
"""scikit-learn's KMeans on the reference latents, timed on this machine now: the bench's same-run reference.

figures.md measured scikit-learn once (4.0 s with 2 threads). Machines of this kind run the same work ~20%
faster or slower from one boot, or one hour, to the next, so `npm run bench` runs this right after its own KMeans
part and reports both, measured minutes apart. The fit is figures.md's: k 10, n_init 10, random_state 42, Lloyd
(scikit-learn's default settings otherwise: k-means++ with 2 + ln k trials, max_iter 300, tol 1e-4).

  /usr/bin/python3 scripts/sklearn_kmeans.py --data ../shared/reference/latent_cnn_elu_train.f32 [--threads 2] [--runs 3]

Needs numpy, scikit-learn and threadpoolctl (Debian 12: apt-get install python3-sklearn, scikit-learn 1.2 as in
figures.md). Prints one JSON object: the version, the threads, each run's seconds, their median, the inertia and the
iterations of the best restart.
"""
import argparse
import json
import statistics
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data', required=True, help='N x 64 float32 latents, row-major, no header')
    parser.add_argument('--dim', type=int, default=64)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--runs', type=int, default=3)
    args = parser.parse_args()
    x = np.fromfile(args.data, dtype=np.float32).reshape(-1, args.dim)
    runs = []
    fit = None
    with threadpool_limits(limits=args.threads):
        for _ in range(args.runs):
            started = time.perf_counter()
            fit = KMeans(n_clusters=10, n_init=10, random_state=42, algorithm='lloyd').fit(x)
            runs.append(round(time.perf_counter() - started, 2))
    print(json.dumps({
        'version': sklearn.__version__,
        'threads': args.threads,
        'n': int(x.shape[0]),
        'runs': runs,
        'seconds': round(statistics.median(runs), 2),
        'inertia': float(fit.inertia_),
        'iterations': int(fit.n_iter_),
    }))


if __name__ == '__main__':
    main()
