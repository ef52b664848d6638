"""PyTorch tensors without a copy: CPU tensors of every float type through DLPack, with their
strides (slices, transposes), objects that only speak DLPack, in-place injection into a tensor,
and a tensor whose export says CUDA refused. Needs torch (skipped without it); runs under pytest
or as a script (scripts/lib/python-torch-tests.sh runs it with Debian's python3-torch)."""

import ctypes

import numpy as np

try:
    import torch
except ImportError:  # the package's own test environment has no torch
    import pytest
    pytest.skip("torch is not installed", allow_module_level=True)

import icl_metrics as im


def states(seed=0, shape=(15, 6)):
    return torch.from_numpy(np.random.default_rng(seed).standard_normal(shape))


def copies():
    return im.build_info()["copies"]


def test_cpu_tensors_are_read_in_place():
    t = states()
    before = copies()
    np.testing.assert_array_equal(im.compute_rdm(t), im.compute_rdm(t.numpy()))
    assert im.task_decodability(t, torch.arange(15) % 3, k=3).overall == \
        im.task_decodability(t.numpy(), np.arange(15) % 3, k=3).overall
    assert copies() == before


def test_strided_views_and_transposes():
    hidden = states(1, (3, 20, 4, 8))              # [layers, n, T, d]
    last = hidden[:, :, -1, :]                      # strides in every direction
    assert not last.is_contiguous()
    before = copies()
    curve = im.decodability_curve(last, torch.arange(20) % 4, k=3)
    np.testing.assert_array_equal(curve.values,
                                  im.decodability_curve(last.contiguous().numpy(), np.arange(20) % 4, k=3).values)
    X = hidden[1, :, 2, :]
    column_major = X.t().contiguous().t()
    np.testing.assert_allclose(im.compute_rdm(column_major, "euclidean"), im.compute_rdm(X.contiguous(), "euclidean"),
                               rtol=1e-12)   # another order of the Gram products
    np.testing.assert_allclose(im.compute_rdm(hidden[0, :, 0, ::2], "cosine"),
                               im.compute_rdm(hidden[0, :, 0, ::2].contiguous().numpy(), "cosine"), rtol=1e-12)
    assert copies() == before


def test_half_precision_tensors():
    X = states(2, (12, 10))
    before = copies()
    for dtype in (torch.float16, torch.bfloat16, torch.float32):
        low = X.to(dtype)
        # the same rounded values in double: the library reads them exactly, computes in float
        expected = im.compute_rdm(low.to(torch.float64).numpy(), "sqeuclidean")
        np.testing.assert_allclose(im.compute_rdm(low, "sqeuclidean"), expected, rtol=1e-5)
        np.testing.assert_allclose(im.compute_rdm(low[:, ::3], "sqeuclidean"),
                                   im.compute_rdm(low[:, ::3].to(torch.float64).numpy(), "sqeuclidean"), rtol=1e-5)
    assert copies() == before


def test_objects_that_only_speak_dlpack():
    class OnlyDLPack:
        def __init__(self, tensor):
            self.tensor = tensor

        def __dlpack__(self, stream=None, **kwargs):
            return self.tensor.__dlpack__()

        def __dlpack_device__(self):
            return self.tensor.__dlpack_device__()

    X = states(3, (9, 4))
    before = copies()
    assert im.linear_cka(OnlyDLPack(X), OnlyDLPack(X[:, :3])) == im.linear_cka(X.numpy(), X[:, :3].numpy())
    assert copies() == before


def test_inject_task_vector_into_a_tensor():
    v = np.arange(1.0, 5.0)
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        h = torch.zeros((3, 5, 4), dtype=dtype)
        im.inject_task_vector(h[:, -1, :], v, 0.5)          # the last position of every prompt
        assert torch.equal(h[:, -1, :], torch.tensor(0.5 * v, dtype=dtype).expand(3, 4))
        assert torch.count_nonzero(h[:, :-1, :]) == 0


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLTensorHead(ctypes.Structure):   # the leading fields of DLManagedTensor::dl_tensor
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice)]


def _exported_as_cuda(tensor):
    """torch's own DLPack capsule of a CPU tensor, with its device rewritten to CUDA 0."""
    capsule = torch.utils.dlpack.to_dlpack(tensor)
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    _DLTensorHead.from_address(get(capsule, b"dltensor")).device.device_type = 2   # kDLCUDA

    class OnCuda:
        def __dlpack__(self, stream=None, **kwargs):
            return capsule

        def __dlpack_device__(self):
            return (2, 0)

    return OnCuda()


def test_a_cuda_tensor_is_refused():
    """Never copied silently: a real CUDA tensor when there is one, else a CPU tensor exported as
    CUDA (its data is never read)."""
    device_tensor = torch.ones((4, 3), device="cuda") if torch.cuda.is_available() else \
        _exported_as_cuda(torch.ones((4, 3)))
    try:
        im.compute_rdm(device_tensor)
    except im.Error as e:
        assert "X is on a CUDA device, but this icl_metrics was built without CUDA" in str(e), str(e)
    else:
        raise AssertionError("a CUDA tensor was accepted")


if __name__ == "__main__":   # without pytest: every test in order, a line each
    import sys
    tests = [(name, f) for name, f in sorted(globals().items()) if name.startswith("test_") and callable(f)]
    for name, f in tests:
        f()
        print("passed", name)
    print(f"{len(tests)} passed (torch {torch.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]})")
