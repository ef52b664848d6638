"""Conan 2 recipe of icl-metrics: the headers and the CMake package config, installed by the
project's own CMake install; one option per CMake component.

    conan create . -pr:a conan/profiles/debian -o "&:blas=True" -o "&:io=True"

The version is project(VERSION) of CMakeLists.txt. docs/install.md describes the options.
"""
import os
import re

from conan import ConanFile
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, save

required_conan_version = ">=2.0"

# What the project's own package config finds for each component, as CMake code that a consumer's
# CMakeDeps config includes (a build module): for OpenMP, CUDA and MPI always (Conan packages
# none of them), and for a requirement that the profile maps to the system ([platform_requires]), since Conan
# then has no package, and no CMake targets, of its own for it.
SYSTEM_DEPENDENCIES = {
    # key: (component, CMake code that finds it, targets the component links)
    "eigen": ("icl_metrics", "find_package(Eigen3 CONFIG REQUIRED)", "Eigen3::Eigen"),
    "openblas": ("blas", "find_package(BLAS REQUIRED)\nfind_package(LAPACK REQUIRED)", "BLAS::BLAS LAPACK::LAPACK"),
    "openmp": ("openmp", "find_package(OpenMP REQUIRED COMPONENTS CXX)", "OpenMP::OpenMP_CXX"),
    "zlib": ("io", "find_package(ZLIB REQUIRED)", "ZLIB::ZLIB"),
    "nlohmann_json": ("io", "find_package(nlohmann_json 3.2 CONFIG REQUIRED)", "nlohmann_json::nlohmann_json"),
    # nvcc needs --expt-relaxed-constexpr for Eigen's constexpr host functions (as in CMakeLists.txt).
    "cuda": ("cuda", "find_package(CUDAToolkit REQUIRED)\ntarget_compile_options(icl_metrics::cuda INTERFACE "
             "\"$<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>\")", "CUDA::cudart CUDA::cublas"),
    "mpi": ("mpi", "find_package(MPI REQUIRED COMPONENTS CXX)", "MPI::MPI_CXX"),
}
SYSTEM_MODULE_DIR = os.path.join("share", "conan", "icl_metrics")


class IclMetricsConan(ConanFile):
    name = "icl-metrics"
    description = "Header-only C++17 representation metrics for studying in-context learning"
    license = "MIT"
    topics = ("interpretability", "representational-similarity-analysis", "probing", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # Each option provides the CMake component of the same name. All off: the base package needs
    # Eigen alone, and each component changes how a consumer compiles or links (docs/install.md).
    options = {
        "blas": [True, False],    # icl_metrics::blas: ICL_USE_BLAS, BLAS and LAPACK (openblas)
        "openmp": [True, False],  # icl_metrics::openmp: the compiler's OpenMP
        "io": [True, False],      # icl_metrics::io: .npy/.npz/.safetensors readers (zlib, nlohmann_json)
        "cuda": [True, False],    # icl_metrics::cuda: icl/cuda/*.cuh (the CUDA toolkit of the system)
        "mpi": [True, False],     # icl_metrics::mpi: icl/mpi/*.hpp (the MPI of the system)
    }
    default_options = {"blas": False, "openmp": False, "io": False, "cuda": False, "mpi": False}
    exports_sources = "CMakeLists.txt", "LICENSE", "cmake/*", "include/*"
    no_copy_source = True

    def set_version(self):
        text = load(self, os.path.join(self.recipe_folder, "CMakeLists.txt"))
        self.version = re.search(r"project\(\s*icl-metrics\s+VERSION\s+([0-9]+\.[0-9]+\.[0-9]+)", text).group(1)

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # Headers only: every dependency reaches the consumer's compile and link lines.
        self.requires("eigen/[>=3.4.0 <6]", transitive_headers=True)
        if self.options.blas:
            self.requires("openblas/[>=0.3.0 <1]", transitive_headers=True, transitive_libs=True)
        if self.options.io:
            self.requires("zlib/[>=1.2.11 <2]", transitive_headers=True, transitive_libs=True)
            self.requires("nlohmann_json/[>=3.2.0 <4]", transitive_headers=True)

    def configure(self):
        if self.options.blas:
            self.options["openblas"].build_lapack = True  # the library calls LAPACK too

    def package_id(self):
        # The same headers for every compiler; the options decide the components.
        self.info.settings.clear()

    def generate(self):
        toolchain = CMakeToolchain(self)
        for option in ("blas", "openmp", "io"):
            toolchain.cache_variables[f"ICL_METRICS_WITH_{option.upper()}"] = bool(self.options.get_safe(option))
        toolchain.cache_variables["ICL_METRICS_CUDA"] = bool(self.options.cuda)
        toolchain.cache_variables["ICL_METRICS_MPI"] = bool(self.options.mpi)
        for part in ("TESTS", "EXAMPLES", "BENCHMARKS", "TOOLS"):
            toolchain.cache_variables[f"ICL_METRICS_BUILD_{part}"] = False
        toolchain.cache_variables["ICL_METRICS_INSTALL"] = True
        toolchain.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()

    def package(self):
        CMake(self).install()
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        for key, (component, find, targets) in SYSTEM_DEPENDENCIES.items():
            save(self, os.path.join(self.package_folder, SYSTEM_MODULE_DIR, f"find_{key}.cmake"),
                 f"# icl-metrics: {key} from the system for icl_metrics::{component}\n{find}\n"
                 f"target_link_libraries(icl_metrics::{component} INTERFACE {targets})\n")

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "icl_metrics")
        self.cpp_info.set_property("cmake_target_name", "icl_metrics::icl_metrics")
        self.cpp_info.set_property("pkg_config_name", "icl_metrics")
        components = ["icl_metrics"] + [c for c in ("blas", "openmp", "io", "cuda", "mpi") if self.options.get_safe(c)]
        for name in components:
            c = self.cpp_info.components[name]
            c.set_property("cmake_target_name", f"icl_metrics::{name}")
            c.set_property("pkg_config_name", "icl_metrics" if name == "icl_metrics" else f"icl_metrics_{name}")
            c.bindirs = []
            c.libdirs = []
            if name != "icl_metrics":
                c.requires = ["icl_metrics"]
        if self.options.blas:
            self.cpp_info.components["blas"].defines = ["ICL_USE_BLAS"]

        # A Conan package links as a requirement; OpenMP, CUDA and a platform requirement (which
        # Conan's dependency lists leave out) through a build module that finds it with CMake.
        wanted = {"eigen": True, "openblas": self.options.blas, "openmp": self.options.openmp,
                  "zlib": self.options.io, "nlohmann_json": self.options.io, "cuda": self.options.cuda,
                  "mpi": self.options.mpi}
        modules = []
        for key, on in wanted.items():
            if not on:
                continue
            component = SYSTEM_DEPENDENCIES[key][0]
            if key in self.dependencies:
                self.cpp_info.components[component].requires.append(f"{key}::{key}")
            else:
                modules.append(os.path.join(SYSTEM_MODULE_DIR, f"find_{key}.cmake"))
        self.cpp_info.set_property("cmake_build_modules", modules)
