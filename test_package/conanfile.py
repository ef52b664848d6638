"""test_package of the icl-metrics recipe: builds tests/package (the consumer that the CMake
package tests also build) against the Conan package, with one component per recipe option, and
runs it."""
import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout


class IclMetricsTestConan(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    test_type = "explicit"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def _option(self, name):
        return bool(self.dependencies[self.tested_reference_str.split("/")[0]].options.get_safe(name))

    def generate(self):
        toolchain = CMakeToolchain(self)
        for option in ("blas", "openmp", "io", "cuda"):
            toolchain.cache_variables[f"ICL_CONSUMER_WITH_{option.upper()}"] = self._option(option)
        # CMakeDeps defines every component's target, asked for or not.
        toolchain.cache_variables["ICL_CONSUMER_STRICT_COMPONENTS"] = False
        toolchain.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure(build_script_folder=os.path.join("..", "tests", "package"))
        cmake.build()

    def test(self):
        if not can_run(self):
            return
        programs = ["icl_metrics_consumer"]
        if self._option("io"):
            programs.append("icl_metrics_io_consumer " + os.path.join(self.build_folder, "consumer.npy"))
        if self._option("cuda"):
            programs.append("icl_metrics_cuda_consumer")
        for program in programs:
            self.run(os.path.join(self.build_folder, "bin", program), env="conanrun")
