"""The icl_torch extension against torch on random CUDA tensors.

    python setup.py build_ext --inplace && python check.py

Exits with 77 ("skipped") without a CUDA device, 0 when every check passes.
"""
import sys

import torch

if not torch.cuda.is_available():
    print("check: skipped: no CUDA device")
    sys.exit(77)

import icl_torch  # noqa: E402  (built by setup.py)

torch.manual_seed(0)
n, d = 300, 64
H = torch.randn(n, d, device="cuda")

# Euclidean RDM against torch.pdist (the same condensed order as scipy), for the four dtypes.
for dtype, tolerance in ((torch.float32, 1e-4), (torch.float64, 1e-10), (torch.float16, 1e-3), (torch.bfloat16, 1e-3)):
    X = H.to(dtype)
    got = icl_torch.rdm(X, "euclidean")
    assert got.device == X.device and got.dtype == torch.float64
    assert torch.allclose(got, torch.pdist(X.double()), rtol=tolerance, atol=tolerance), dtype

# A transposed view (strides (1, n) in elements) is read in place, without .contiguous().
Ht = torch.randn(d, n, device="cuda").t()
assert torch.allclose(icl_torch.rdm(Ht, "euclidean"), torch.pdist(Ht.double()), rtol=1e-4, atol=1e-4)

# Correlation on a side stream (the extension takes PyTorch's current stream).
side = torch.cuda.Stream()
with torch.cuda.stream(side):
    got = icl_torch.rdm(H, "correlation")
side.synchronize()
upper = torch.triu_indices(n, n, 1, device="cuda")
want = (1 - torch.corrcoef(H.double()))[upper[0], upper[1]]
assert torch.allclose(got, want, atol=1e-4)

# previous_token_score of causal softmax attention [layers, heads, T, T].
T = 16
mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device="cuda"), 1)
A = torch.softmax(torch.randn(2, 3, T, T, device="cuda").masked_fill(mask, float("-inf")), dim=-1)
want = torch.diagonal(A, offset=-1, dim1=2, dim2=3).double().sum(-1).cpu()
assert torch.allclose(icl_torch.previous_token_score(A), want, rtol=1e-12), "previous_token_score"

# Decodability of two well separated classes.
labels = [i % 2 for i in range(n)]
X = H + 10 * torch.tensor(labels, device="cuda", dtype=torch.float32)[:, None]
assert icl_torch.task_decodability(X, labels, 5) == 1.0

print("icl_torch: ok")
