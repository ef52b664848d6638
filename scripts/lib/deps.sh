# shellcheck shell=bash
# Sourced by scripts/test and scripts/demo.
#
# icl_ensure_dependencies: checks that everything the build needs is present. What is missing is
# installed with apt-get when running as root; otherwise the exact command is printed and the
# function returns 1. When everything is present it does nothing (no apt-get call at all).

# Succeeds when the Debian package $1 is installed.
icl_deb_installed() {
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

# Prints the Debian packages still to install, one per line.
icl_missing_packages() {
  command -v cmake >/dev/null 2>&1 || echo cmake
  command -v g++ >/dev/null 2>&1 || echo g++
  command -v make >/dev/null 2>&1 || echo make
  [[ -f /usr/include/eigen3/Eigen/Core ]] || icl_deb_installed libeigen3-dev || echo libeigen3-dev
  icl_deb_installed catch2 || echo catch2
  icl_deb_installed libopenblas-dev || echo libopenblas-dev
  # LAPACKE, for the test of the library beside Eigen's EIGEN_USE_LAPACKE back-end.
  icl_deb_installed liblapacke-dev || echo liblapacke-dev
  icl_deb_installed xtensor-dev || icl_deb_installed libxtensor-dev || echo xtensor-dev
  icl_deb_installed libbenchmark-dev || echo libbenchmark-dev
  # The file readers (include/icl/io) and the command-line program (tools/icl-metrics).
  icl_deb_installed zlib1g-dev || echo zlib1g-dev
  icl_deb_installed nlohmann-json3-dev || echo nlohmann-json3-dev
  icl_deb_installed libcli11-dev || echo libcli11-dev
  # MPI (Open MPI), for the mpi component (include/icl/mpi) and its tests under mpirun.
  icl_deb_installed libopenmpi-dev || echo libopenmpi-dev
  command -v mpirun >/dev/null 2>&1 || echo openmpi-bin
  # pkg-config, for the test that compiles a consumer from icl_metrics.pc alone.
  command -v pkg-config >/dev/null 2>&1 || echo pkgconf
  # The Python package: a virtual environment and the headers of the interpreter.
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || echo python3-venv
  python3 -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    >/dev/null 2>&1 || echo python3-dev
}

# Prints the Debian packages the fuzz targets of the readers still need (clang and libFuzzer).
icl_missing_fuzz_packages() {
  command -v clang++ >/dev/null 2>&1 || echo clang
  icl_deb_installed libclang-rt-14-dev || ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
    >/dev/null 2>&1 || echo libclang-rt-14-dev
}

# Prints what the toy ICL transformer (examples/toy_icl) still needs: a CPU torch for
# /usr/bin/python3 (Debian's python3-torch).
icl_missing_torch_packages() {
  /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || echo python3-torch
}

# icl_ensure_dependencies [LISTER]: LISTER (default icl_missing_packages) prints what is missing.
icl_ensure_dependencies() {
  local lister=${1:-icl_missing_packages} missing
  missing=$("$lister" | tr '\n' ' ')
  missing=${missing% }
  [[ -z $missing ]] && return 0

  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing build dependencies (Debian package names): $missing" >&2
    echo "This script installs them with apt-get; install the equivalents by hand." >&2
    return 1
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "Missing build dependencies: $missing" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $missing" >&2
    return 1
  fi

  echo "Installing: $missing"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  apt-get update && apt-get install -y --no-install-recommends $missing

  missing=$("$lister" | tr '\n' ' ')
  if [[ -n ${missing% } ]]; then
    echo "Still missing after apt-get install: $missing" >&2
    return 1
  fi
}
