"""How arrays come in: every dtype, strides and transposes in place, torch tensors through
DLPack, copies only for other dtypes, device arrays refused, errors with the library's text."""

import ctypes
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy.spatial.distance import pdist

import icl_metrics as im

ml_dtypes = pytest.importorskip("ml_dtypes")

DTYPES = [np.float16, ml_dtypes.bfloat16, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_every_dtype_without_a_copy(rng, dtype):
    X = rng.standard_normal((20, 9)).astype(dtype)
    before = im.build_info()["copies"]
    got = im.compute_rdm(X, "euclidean")
    assert im.build_info()["copies"] == before
    expected = pdist(X.astype(np.float64), "euclidean")  # the same rounded values, in double
    tol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(got, expected, rtol=tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_strided_and_transposed_views(rng, dtype):
    big = rng.standard_normal((6, 30, 4, 12)).astype(dtype)
    view = big[2, :, -1, ::2]            # [30, 6], strides in all directions
    assert not view.flags.c_contiguous
    transposed = np.ascontiguousarray(view.T).T   # column-major
    before = im.build_info()["copies"]
    a = im.compute_rdm(view, "sqeuclidean")
    b = im.compute_rdm(transposed, "sqeuclidean")
    c = im.compute_rdm(np.ascontiguousarray(view), "sqeuclidean")
    assert im.build_info()["copies"] == before
    np.testing.assert_allclose(a, c, rtol=1e-6)   # the strided path converts rows in blocks
    np.testing.assert_allclose(b, c, rtol=1e-6)


def test_layer_slices_and_attention_views(rng):
    hidden = rng.standard_normal((3, 40, 5, 8))      # [layers, n, T, d]
    labels = np.arange(40) % 4
    before = im.build_info()["copies"]
    curve = im.decodability_curve(hidden[:, :, -1, :], labels, k=3)
    assert im.build_info()["copies"] == before
    np.testing.assert_array_equal(
        curve.values, im.decodability_curve(np.ascontiguousarray(hidden[:, :, -1, :]), labels, k=3).values)
    A = rng.random((2, 3, 6, 6))
    At = np.swapaxes(np.swapaxes(A, 2, 3).copy(), 2, 3)   # same values, column-major maps
    np.testing.assert_allclose(im.previous_token_score(At), im.previous_token_score(A), rtol=1e-12)


def test_other_dtypes_are_copied_once(rng):
    X = rng.integers(0, 5, size=(10, 4))
    before = im.build_info()["copies"]
    np.testing.assert_allclose(im.compute_rdm(X, "euclidean"), pdist(X, "euclidean"), rtol=1e-12)
    assert im.build_info()["copies"] == before + 1
    im.compute_rdm(X.tolist(), "euclidean")   # a list of lists, likewise
    assert im.build_info()["copies"] == before + 2


def test_memory_does_not_grow_with_the_input(rng):
    tracemalloc = pytest.importorskip("tracemalloc")
    X = rng.standard_normal((400, 20000)).astype(np.float32)   # 32 MB; the RDM is 0.6 MB
    im.linear_cka(X[:, :100], X[:, 100:200])
    tracemalloc.start()
    im.effective_dimension(X)
    im.compute_rdm(X[:, ::2], "cosine")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < X.nbytes / 8, peak   # numpy allocations are traced: no copy of X was made


def test_labels_and_positions_accept_any_integers(states):
    X, labels = states
    expected = im.task_decodability(X, labels, k=3).overall
    for given in (labels.astype(np.int8), labels.astype(np.uint32), list(labels), tuple(labels)):
        assert im.task_decodability(X, given, k=3).overall == expected


def test_torch_tensors(rng):
    torch = pytest.importorskip("torch", reason="torch is not installed")
    X = rng.standard_normal((15, 6))
    expected = im.compute_rdm(X)
    t = torch.from_numpy(X)
    before = im.build_info()["copies"]
    np.testing.assert_array_equal(im.compute_rdm(t), expected)
    np.testing.assert_allclose(im.compute_rdm(t.T.contiguous().T), expected, rtol=1e-12)
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        np.testing.assert_allclose(im.compute_rdm(t.to(dtype)), expected, rtol=2e-2, atol=2e-2)
    assert im.build_info()["copies"] == before
    hidden = torch.from_numpy(rng.standard_normal((2, 15, 3, 6)))
    labels = torch.arange(15) % 3
    np.testing.assert_array_equal(im.decodability_curve(hidden[:, :, -1, :], labels, k=3).values,
                                  im.decodability_curve(hidden[:, :, -1, :].numpy(), labels.numpy(), k=3).values)


def test_device_arrays_are_refused():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    with pytest.raises(im.Error, match="built without CUDA"):
        im.compute_rdm(torch.ones((4, 3), device="cuda"))



class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32), ("dtype", _DLDataType),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("byte_offset", ctypes.c_uint64)]


class _DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p)]


class _OnDevice:
    """Exports a [4, 3] float32 DLPack tensor that says it lives on CUDA device 0."""
    def __init__(self):
        self.host = np.zeros((4, 3), np.float32)
        self.shape = (ctypes.c_int64 * 2)(4, 3)
        self.managed = _DLManagedTensor(_DLTensor(self.host.ctypes.data, _DLDevice(2, 0), 2, _DLDataType(2, 32, 1),
                                                  self.shape, None, 0), None, None)

    def __dlpack_device__(self):
        return (2, 0)

    def __dlpack__(self, stream=None, **kwargs):
        PyCapsule_New = ctypes.pythonapi.PyCapsule_New
        PyCapsule_New.restype = ctypes.py_object
        PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        return PyCapsule_New(ctypes.addressof(self.managed), b"dltensor", None)


def test_a_dlpack_tensor_on_a_cuda_device_is_refused():
    """Without a GPU: a DLPack export whose device is CUDA (the data is never read)."""
    with pytest.raises(im.Error, match="X is on a CUDA device, but this icl_metrics was built without CUDA"):
        im.compute_rdm(_OnDevice())


def test_build_info_and_threads():
    info = im.build_info()
    assert info["version"] == im.__version__
    assert set(info["components"]) <= {"blas", "openmp", "io"}
    assert info["cuda"] is False
    n = im.get_num_threads()
    im.set_num_threads(1)
    assert im.get_num_threads() == 1 or not info["openmp"]
    im.set_num_threads(n)
    with pytest.raises(im.Error, match="icl_metrics.set_num_threads: n must be >= 1"):
        im.set_num_threads(0)


@pytest.mark.parametrize("call,message", [
    (lambda: im.compute_rdm(np.ones((1, 3))), "icl::rsa::compute_rdm: need n >= 2"),
    (lambda: im.compute_rdm(np.ones((3, 3)), "correlation"), "icl::rsa::compute_rdm: row 0 has zero variance"),
    (lambda: im.compute_rdm(np.array([[0.0, np.nan], [1, 2], [3, 4]])), "icl::rsa::compute_rdm"),
    (lambda: im.compute_rdm(np.ones((3, 3)), "manhattan"), "'manhattan' is not a icl::rsa::dissimilarity"),
    (lambda: im.compute_rdm(np.ones(3)), "icl::rsa::compute_rdm: X must have 2 dimensions, got 1"),
    (lambda: im.compare(np.ones(3), np.ones(4)), "icl::rsa::compare: length 4 is not a triangular number"),
    (lambda: im.compare(np.arange(3.0), np.arange(3.0), "tau"), "'tau' is not a icl::rsa::comparison"),
    (lambda: im.permutation_test(np.arange(3.0), np.arange(3.0), permutations=0),
     "icl::rsa::permutation_test"),
    (lambda: im.task_decodability(np.eye(4), [0, 0, 1, 1], k=4), "icl::decode::task_decodability"),
    (lambda: im.task_decodability(np.eye(4), [0, 0, 0, 0], k=1), "icl::decode::task_decodability"),
    (lambda: im.task_decodability(np.eye(4), [0.5, 0, 1, 1], k=1), "labels must hold integers"),
    (lambda: im.linear_cka(np.eye(4), np.eye(5)), "icl::geometry::linear_cka"),
    (lambda: im.linear_cka(np.eye(4), np.eye(4, dtype=np.float32)), "same dtype"),
    (lambda: im.attention_ratio(np.ones((2, 2, 4, 4)) / 4, [3], [1], [9]), "icl::attention::attention_ratio"),
    (lambda: im.induction_score(np.ones((2, 2, 4, 4)) / 4, [-1]), "label_positions[0] = -1 is negative"),
    (lambda: im.cross_validate_logistic(np.eye(6), [0, 1, 0, 1, 0, 1], C=-1.0), "icl::probe::cross_validate_logistic"),
])
def test_errors_carry_the_library_message(call, message):
    with pytest.raises(im.Error) as caught:
        call()
    assert isinstance(caught.value, ValueError)
    assert message in str(caught.value)


def test_ctrl_c_interrupts_a_curve(tmp_path):
    """SIGINT during a long decodability curve raises KeyboardInterrupt between layers."""
    script = textwrap.dedent("""
        import os, signal, threading, numpy as np, icl_metrics as im
        H = np.random.default_rng(0).standard_normal((400, 1500, 64)).astype(np.float32)
        labels = np.arange(1500) % 5
        signal.signal(signal.SIGINT, signal.default_int_handler)  # even where SIGINT arrives ignored
        threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        try:
            im.decodability_curve(H, labels, k=5)
            print("finished")
        except KeyboardInterrupt:
            print("interrupted")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path, env=dict(os.environ))
    assert out.stdout.strip() == "interrupted", out.stdout + out.stderr
