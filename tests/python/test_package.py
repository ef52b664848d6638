"""What the wheel carries: type stubs, docstrings for help(), the version of the CMake project."""

import importlib.resources
import inspect

import icl_metrics as im


def test_stubs_are_installed():
    package = importlib.resources.files("icl_metrics")
    assert (package / "py.typed").is_file()
    stub = (package / "_core.pyi").read_text()
    assert "def compute_rdm(X: numpy.typing.ArrayLike" in stub
    assert "class PermutationResult" in stub


def test_every_function_documents_parameters_returns_and_errors():
    for name in im.__all__:
        obj = getattr(im, name)
        if inspect.isclass(obj) or name in ("build_info", "get_num_threads", "set_num_threads"):
            continue
        doc = obj.__doc__
        assert "Returns\n-------" in doc and "Raises\n------\nError" in doc, name
        assert "Parameters\n----------" in doc, name


def test_version_is_the_projects():
    assert im.__version__ == im.build_info()["version"] == im.build_info()["library_version"]
