// load(): the reference syntax, base directories, format sniffing, errors; and the metric
// functions taking the readers' views directly (an RDM of a matrix read from .npy, .npz and
// .safetensors, compared with scipy).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "icl/io/load.hpp"
#include "icl/rsa/rdm.hpp"
#include "io/support.hpp"
#include "support/fixture.hpp"

namespace {

using icl::io::format_error;
using namespace icl_io_test;  // the helpers of io/support.hpp

const std::string dir = std::string(ICL_TEST_DATA_DIR) + "io";

}  // namespace

TEST_CASE("split_reference: the path is the longest prefix ending in a known extension", "[io][load]") {
  auto split = [](const std::string& r) {
    const auto p = icl::io::split_reference(r);
    return std::vector<std::string>{p.path, p.member, p.has_member ? "1" : "0"};
  };
  REQUIRE(split("a.npy") == std::vector<std::string>{"a.npy", "", "0"});
  REQUIRE(split("a.npz:hidden") == std::vector<std::string>{"a.npz", "hidden", "1"});
  REQUIRE(split("dir/x.safetensors:model.layers.0:out") ==
          std::vector<std::string>{"dir/x.safetensors", "model.layers.0:out", "1"});
  REQUIRE(split("c:/data/x.npz:h") == std::vector<std::string>{"c:/data/x.npz", "h", "1"});
  REQUIRE(split("odd:name.npz") == std::vector<std::string>{"odd:name.npz", "", "0"});
  REQUIRE(split("a.npz:") == std::vector<std::string>{"a.npz", "", "1"});
  REQUIRE(split("weird.bin:x") == std::vector<std::string>{"weird.bin:x", "", "0"});
}

TEST_CASE("load: every kind of reference, relative to a base directory", "[io][load]") {
  const auto a = icl::io::load("f32_c.npy", dir);
  REQUIRE(a.source() == dir + "/f32_c.npy");
  REQUIRE(a.doubles() == values().values("f32_c"));
  REQUIRE(icl::io::load(data_path("acts.npz") + ":hidden").doubles() == values().values("hidden"));
  REQUIRE(icl::io::load("acts_compressed.npz:labels", dir).integers() == std::vector<std::int64_t>{0, 2, 1, 1, 0, 2});
  REQUIRE(icl::io::load("acts.safetensors:t_F64", dir).doubles() == values().values("t_F64"));
  // An absolute path ignores the base directory.
  REQUIRE(icl::io::load(data_path("v2.npy"), "/nonexistent").doubles() == values().values("v2"));
}

TEST_CASE("load: a file with one array needs no name; other extensions are sniffed", "[io][load]") {
  const std::string one_npz = icl_io_test::temp_path("one.npz");
  const std::string one_st = icl_io_test::temp_path("one.safetensors");
  const auto npy = icl_io_test::read_file(data_path("v2.npy"));
  icl_io_test::write_file(one_npz, icl_io_test::make_zip({icl_io_test::zip_member{"only.npy", npy, 8}}));
  icl_io_test::write_file(one_st, icl_io_test::make_safetensors(
                                      R"({"only":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})",
                                      icl_io_test::raw(std::vector<double>{4.0})));
  REQUIRE(icl::io::load(one_npz).doubles() == values().values("v2"));
  REQUIRE(icl::io::load(one_npz).source() == one_npz + ":only");
  REQUIRE(icl::io::load(one_st).doubles() == std::vector<double>{4.0});

  // The same bytes under other names: the format comes from the first bytes.
  const std::string sniff_npy = icl_io_test::temp_path("x.bin");
  const std::string sniff_npz = icl_io_test::temp_path("y.data");
  const std::string sniff_st = icl_io_test::temp_path("z");
  icl_io_test::write_file(sniff_npy, npy);
  icl_io_test::write_file(sniff_npz, icl_io_test::read_file(one_npz));
  icl_io_test::write_file(sniff_st, icl_io_test::read_file(one_st));
  REQUIRE(icl::io::load(sniff_npy).doubles() == values().values("v2"));
  REQUIRE(icl::io::load(sniff_npz).doubles() == values().values("v2"));
  REQUIRE(icl::io::load(sniff_st).doubles() == std::vector<double>{4.0});
  for (const auto& p : {one_npz, one_st, sniff_npy, sniff_npz, sniff_st}) std::remove(p.c_str());
}

TEST_CASE("load: missing files and members, names where none fit", "[io][load][hostile]") {
  require_throws_exactly<icl::io::file_error>([] { (void)icl::io::load("nope.npy", dir); },
                                              dir + "/nope.npy: cannot open: No such file or directory");
  require_throws_exactly<icl::io::file_error>([] { (void)icl::io::load("nope.safetensors:x", dir); },
                                              dir + "/nope.safetensors: cannot open: No such file or directory");
  require_throws_exactly<format_error>([] { (void)icl::io::load("acts.npz:nope", dir); },
                                       dir + "/acts.npz: no member 'nope' (members: hidden, labels, f16, fortran)");
  require_throws_exactly<format_error>(
      [] { (void)icl::io::load("acts.npz", dir); },
      dir + "/acts.npz: holds 4 arrays (hidden, labels, f16, fortran); name one as " + dir + "/acts.npz:NAME");
  require_throws_exactly<format_error>([] { (void)icl::io::load("misaligned.safetensors", dir); },
                                       dir + "/misaligned.safetensors: holds 2 tensors (a, b); name one as " + dir +
                                           "/misaligned.safetensors:NAME");
  require_throws_exactly<format_error>([] { (void)icl::io::load("v2.npy:x", dir); },
                                       dir + "/v2.npy: an .npy file holds one array; it has no member 'x'");
  require_throws_exactly<format_error>([] { (void)icl::io::load(""); },
                                       "icl::io::load: empty file name in reference ''");
  require_throws_exactly<icl::io::file_error>([] { (void)icl::io::load("acts.npz", "/nonexistent/dir"); },
                                       "/nonexistent/dir/acts.npz: cannot open: No such file or directory");
}

TEST_CASE("metrics take the readers' views: an RDM of a matrix read from a file", "[io][load][rsa]") {
  const auto& expected = values().values("rdm_x_correlation");
  // f64 files, C and Fortran order.
  for (const char* name : {"rdm_x.npy", "rdm_x_fortran.npy", "misaligned.safetensors:b"}) {
    INFO(name);
    const auto x = icl::io::load(name, dir);
    const auto rdm = icl::rsa::compute_rdm(x.matrix<double>(), icl::rsa::dissimilarity::correlation);
    REQUIRE(rdm.n() == 6);
    for (std::size_t k = 0; k < expected.size(); ++k) REQUIRE(rdm.condensed()[k] == Approx(expected[k]).epsilon(1e-10));
  }
  // One layer of a [layers, n, d] float32 tensor read in place from .safetensors and .npz.
  for (const char* name : {"acts.safetensors:hidden", "acts.npz:hidden", "acts_compressed.npz:hidden"}) {
    INFO(name);
    const auto hidden = icl::io::load(name, dir);
    const auto layers = hidden.view<float, 3>();
    const auto rdm = icl::rsa::compute_rdm(layers.matrix(2), icl::rsa::dissimilarity::euclidean);
    const auto& h = values().values("hidden");
    REQUIRE(rdm.n() == 4);
    // Direct check of one pair: rows 1 and 3 of layer 2.
    double sum = 0.0;
    for (std::size_t j = 0; j < 5; ++j) {
      const double d = h[2 * 20 + 1 * 5 + j] - h[2 * 20 + 3 * 5 + j];
      sum += d * d;
    }
    REQUIRE(rdm(1, 3) == Approx(std::sqrt(sum)).epsilon(1e-5));
  }
}
