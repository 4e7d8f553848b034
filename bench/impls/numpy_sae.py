"""The sparse autoencoder's cost and gradient in numpy float32, for `npm run bench`'s numpy rows.

The same formula as src/reference/autoencoder.ts (UFLDL's sparseAutoencoderCost, vectorized),
on the same data and theta, which bench/impls/numpy.ts writes as .npy files. A small server
on stdin/stdout, one JSON object per line each way, so the timing is the evaluation, not
Python's start-up or the file reads:

  {"op": "eval"}                       -> {"cost": J}                 (cost and gradient, float32)
  {"op": "lbfgs", "maxIter": N, ...}   -> {"cost": J, "iterations": ..., "evaluations": ..., "seconds": ...}
                                          scipy's L-BFGS-B from theta, float32 cost and gradient
  {"op": "quit"}

Usage: python3 numpy_sae.py DATA.npy THETA.npy VISIBLE HIDDEN RHO LAMBDA BETA
"""
import json
import sys
import time

import numpy as np


def main():
    data_path, theta_path = sys.argv[1], sys.argv[2]
    v, h = int(sys.argv[3]), int(sys.argv[4])
    rho, lam, beta = (np.float32(x) for x in sys.argv[5:8])
    X = np.ascontiguousarray(np.load(data_path).astype(np.float32))  # m x v, row-major
    theta0 = np.load(theta_path).astype(np.float64).ravel()
    m = X.shape[0]
    hv = h * v
    one = np.float32(1)

    def cost_grad(theta32):
        # UFLDL's packing: W1 (h x v, column-major) is W1t (v x h) row-major; W2 likewise.
        W1t = theta32[:hv].reshape(v, h)
        W2t = theta32[hv:2 * hv].reshape(h, v)
        b1 = theta32[2 * hv:2 * hv + h]
        b2 = theta32[2 * hv + h:]
        a2 = one / (one + np.exp(-(X @ W1t + b1)))
        a3 = one / (one + np.exp(-(a2 @ W2t + b2)))
        rho_hat = a2.mean(axis=0)
        diff = a3 - X
        reconstruction = np.float32(0.5) * np.einsum('ij,ij->', diff, diff) / m
        decay = lam / 2 * (np.einsum('ij,ij->', W1t, W1t) + np.einsum('ij,ij->', W2t, W2t))
        kl = beta * np.sum(rho * np.log(rho / rho_hat) + (one - rho) * np.log((one - rho) / (one - rho_hat)))
        d3 = diff * a3 * (one - a3)
        sparsity = beta * (-rho / rho_hat + (one - rho) / (one - rho_hat))
        d2 = (d3 @ W2t.T + sparsity) * a2 * (one - a2)
        grad = np.empty_like(theta32)
        grad[:hv] = ((X.T @ d2) / m + lam * W1t).ravel()
        grad[hv:2 * hv] = ((a2.T @ d3) / m + lam * W2t).ravel()
        grad[2 * hv:2 * hv + h] = d2.mean(axis=0)
        grad[2 * hv + h:] = d3.mean(axis=0)
        return float(reconstruction + decay + kl), grad

    theta32 = theta0.astype(np.float32)
    reply({"ready": True, "numpy": np.__version__, "examples": m})
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "eval":
            cost, _ = cost_grad(theta32)
            reply({"cost": cost})
        elif op == "lbfgs":
            import scipy
            from scipy.optimize import minimize

            evaluations = [0]

            def fun(x):
                evaluations[0] += 1
                cost, grad = cost_grad(x.astype(np.float32))
                return cost, grad.astype(np.float64)

            t0 = time.perf_counter()
            result = minimize(fun, theta0, jac=True, method="L-BFGS-B",
                              options={"maxiter": request["maxIter"], "maxcor": request["corrections"]})
            seconds = time.perf_counter() - t0
            reply({"cost": float(result.fun), "iterations": int(result.nit), "evaluations": evaluations[0],
                   "seconds": seconds, "message": str(result.message), "scipy": scipy.__version__})
        elif op == "quit":
            return
        else:
            reply({"error": f"unknown op {op}"})


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
