"""Builds the PyTorch extension icl_torch (icl_torch.cu) against this checkout's headers.

    cd examples/torch_cuda_extension
    python setup.py build_ext --inplace      # or: pip install --no-build-isolation .
    python check.py                          # the extension against torch on random CUDA tensors

Built only where PyTorch has CUDA (torch.version.cuda) and a CUDA toolkit is found
(torch.utils.cpp_extension.CUDA_HOME); otherwise it prints "torch_cuda_extension: not built: ..."
and exits with status 0. Eigen's headers (a dependency of the library's host types) are taken
from EIGEN3_INCLUDE_DIR, default /usr/include/eigen3. TORCH_CUDA_ARCH_LIST chooses the
architectures, as for any PyTorch extension.
"""
import os
import sys
from pathlib import Path


def not_built(reason):
    print(f"torch_cuda_extension: not built: {reason}")
    sys.exit(0)


try:
    import torch
    from torch.utils.cpp_extension import CUDA_HOME, BuildExtension, CUDAExtension
except ImportError as error:
    not_built(f"PyTorch is not installed ({error})")
if torch.version.cuda is None:
    not_built(f"PyTorch {torch.__version__} was built without CUDA (torch.version.cuda is None)")
if CUDA_HOME is None:
    not_built("no CUDA toolkit found (set CUDA_HOME to the directory of bin/nvcc)")

from setuptools import setup  # noqa: E402  (after the checks, so that they alone decide)

here = Path(__file__).resolve().parent
include = here.parent.parent / "include"
eigen = os.environ.get("EIGEN3_INCLUDE_DIR", "/usr/include/eigen3")
if not (Path(eigen) / "Eigen" / "Core").is_file():
    not_built(f"Eigen's headers not found in {eigen} (set EIGEN3_INCLUDE_DIR)")

setup(
    name="icl_torch",
    version="0.1.0",
    ext_modules=[
        CUDAExtension(
            "icl_torch",
            [str(here / "icl_torch.cu")],
            include_dirs=[str(include), eigen],
            libraries=["cublas"],
            # --expt-relaxed-constexpr: what icl_metrics::cuda gives every CUDA source (Eigen's
            # constexpr host functions are called from host-device ones).
            extra_compile_args={"cxx": ["-std=c++17"], "nvcc": ["-std=c++17", "--expt-relaxed-constexpr"]},
        )
    ],
    cmdclass={"build_ext": BuildExtension},
)
