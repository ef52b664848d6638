// Reading activations from files and computing metrics on them in place: the hidden states
// [layers, n, d] of a .safetensors file (float32, memory-mapped, never copied), one RDM per
// layer, and how similar consecutive layers' RDMs are; then a float64 matrix from an .npy file;
// one generic function over tensors of every floating dtype (visit_float); and class labels read
// as std::vector<int> (labels()).
// Run from the repository root (the examples test does): ./build/dev/examples/example_io_demo
#include <cstddef>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <icl/decode/knn.hpp>
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

    // Any floating dtype with one generic function: visit_float calls the lambda with a value of
    // the tensor's element type (icl::f16, icl::bf16, float or double).
    for (const char* name : {"t_F16", "t_BF16", "t_F32", "t_F64"}) {
      const icl::io::array t = file.get(name);
      const icl::rsa::rdm r = icl::io::visit_float(t, [&](auto tag) {
        using T = decltype(tag);
        return icl::rsa::compute_rdm(t.matrix<T>(), icl::rsa::dissimilarity::euclidean);
      });
      std::printf("%s: %s [%zu, %zu]; euclidean distance of rows 0 and 1: %.4f\n", t.source().c_str(),
                  icl::io::dtype_name(t.type()), t.shape()[0], t.shape()[1], r(0, 1));
    }

    // Class labels as the metrics take them (std::vector<int>), from any integer dtype.
    const std::vector<int> labels = icl::io::load("labels.npy", dir).labels();
    const icl::decode::decodability_result decodability =
        icl::decode::task_decodability(x.matrix<double>(), labels, 1);
    std::printf("labels.npy: %zu labels; 1-NN decodability of the classes from the rows of %s: %.3f\n",
                labels.size(), x.source().c_str(), decodability.overall);
    return 0;
  } catch (const icl::io::format_error& e) {
    std::fprintf(stderr, "bad input file: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
