// Reading activations from files and computing metrics on them in place: the hidden states
// [layers, n, d] of a .safetensors file (float32, memory-mapped, never copied), one RDM per
// layer, and how similar consecutive layers' RDMs are; then a float64 matrix from an .npy file.
// Run from the repository root (the examples test does): ./build/dev/examples/example_io_demo
#include <cstddef>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <icl/io/load.hpp>
#include <icl/rsa/compare.hpp>
#include <icl/rsa/rdm.hpp>

int main() {
  try {
    const std::string dir = "tests/data/io";
    const icl::io::safetensors_file file(dir + "/acts.safetensors");
    std::printf("%s: %zu tensors; metadata:", file.source().c_str(), file.size());
    for (const auto& [key, value] : file.metadata()) std::printf(" %s=%s", key.c_str(), value.c_str());
    std::printf("\n");

    const icl::io::array hidden = file.get("hidden");
    const auto H = hidden.view<float, 3>();  // throws unless the tensor is f32 of rank 3
    std::printf("%s: %s [%zu, %zu, %zu], %s\n", hidden.source().c_str(), icl::io::dtype_name(hidden.type()),
                H.extent(0), H.extent(1), H.extent(2),
                hidden.where() == icl::io::storage::mapped ? "viewed in the mapping" : "copied");

    std::vector<icl::rsa::rdm> rdms;
    for (std::size_t l = 0; l < H.extent(0); ++l) {
      rdms.push_back(icl::rsa::compute_rdm(H.matrix(l), icl::rsa::dissimilarity::euclidean));
      std::printf("layer %zu: mean euclidean distance %.4f\n", l, [&] {
        double s = 0.0;
        for (double v : rdms.back().condensed()) s += v;
        return s / static_cast<double>(rdms.back().size());
      }());
    }
    for (std::size_t l = 1; l < rdms.size(); ++l) {
      std::printf("layers %zu-%zu: Pearson r of the RDMs %.4f\n", l - 1, l,
                  icl::rsa::compare(rdms[l - 1], rdms[l], icl::rsa::comparison::pearson));
    }

    // load() takes "file.npy", "file.npz:name" or "file.safetensors:name", relative to a base.
    const icl::io::array x = icl::io::load("rdm_x_fortran.npy", dir);  // Fortran order: strided view
    const auto rdm = icl::rsa::compute_rdm(x.matrix<double>(), icl::rsa::dissimilarity::correlation);
    std::printf("%s: %zu x %zu f64 (strides %td, %td); correlation distance of rows 0 and 1: %.6f\n",
                x.source().c_str(), x.shape()[0], x.shape()[1], x.strides()[0], x.strides()[1], rdm(0, 1));
    return 0;
  } catch (const icl::io::format_error& e) {
    std::fprintf(stderr, "bad input file: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
