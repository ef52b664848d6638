// icl::io::visit_float (dtype dispatch), icl::io::array::labels, and the names of the io enums
// (icl::to_string / from_string agree with dtype_name).
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "icl/core/enum_names.hpp"
#include "icl/io/load.hpp"

namespace {

template <class T>
icl::io::array array_over(const std::vector<T>& values, icl::io::dtype type, const std::string& source) {
  return icl::io::array(type, {values.size()}, {1}, values.data(), nullptr, source, icl::io::storage::external);
}

// The name of the type visit_float passed.
struct type_name {
  std::string operator()(icl::f16) const { return "f16"; }
  std::string operator()(icl::bf16) const { return "bf16"; }
  std::string operator()(float) const { return "float"; }
  std::string operator()(double) const { return "double"; }
};

}  // namespace

TEST_CASE("visit_float calls f with the array's element type", "[io][dispatch]") {
  const std::vector<icl::f16> h{icl::f16(1.5f), icl::f16(-2.0f)};
  const std::vector<icl::bf16> b{icl::bf16(0.5f), icl::bf16(3.0f)};
  const std::vector<float> f{1.0f, 2.0f};
  const std::vector<double> d{0.25, -0.75};
  CHECK(icl::io::visit_float(array_over(h, icl::io::dtype::f16, "h"), type_name{}) == "f16");
  CHECK(icl::io::visit_float(array_over(b, icl::io::dtype::bf16, "b"), type_name{}) == "bf16");
  CHECK(icl::io::visit_float(array_over(f, icl::io::dtype::f32, "f"), type_name{}) == "float");
  CHECK(icl::io::visit_float(array_over(d, icl::io::dtype::f64, "d"), type_name{}) == "double");

  // The generic form: one lambda reads any precision through the matching view.
  const auto sum = [](const icl::io::array& a) {
    return icl::io::visit_float(a, [&](auto tag) {
      using T = decltype(tag);
      const auto v = a.view<T, 1>();
      double s = 0.0;
      for (std::size_t k = 0; k < v.extent(0); ++k) s += static_cast<double>(v(k));
      return s;
    });
  };
  CHECK(sum(array_over(h, icl::io::dtype::f16, "h")) == -0.5);
  CHECK(sum(array_over(b, icl::io::dtype::bf16, "b")) == 3.5);
  CHECK(sum(array_over(f, icl::io::dtype::f32, "f")) == 3.0);
  CHECK(sum(array_over(d, icl::io::dtype::f64, "d")) == -0.5);

  // Files: an f16 .npy and a Fortran-order f64 .npy.
  CHECK(icl::io::visit_float(icl::io::load(ICL_TEST_DATA_DIR "io/f16.npy"), type_name{}) == "f16");
  CHECK(icl::io::visit_float(icl::io::load(ICL_TEST_DATA_DIR "io/f64_fortran.npy"), type_name{}) == "double");
}

TEST_CASE("visit_float rejects integer, bool and empty arrays", "[io][dispatch]") {
  const std::vector<std::int32_t> i{1, 2};
  const std::vector<unsigned char> flags{0, 1};
  int calls = 0;
  const auto count = [&](auto) { ++calls; };
  REQUIRE_THROWS_AS(icl::io::visit_float(array_over(i, icl::io::dtype::i32, "ints.npy"), count), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::io::visit_float(array_over(i, icl::io::dtype::i32, "ints.npy"), count),
                      "icl::io::visit_float: ints.npy holds dtype i32, not a floating type (f16, bf16, f32 or f64)");
  REQUIRE_THROWS_WITH(icl::io::visit_float(array_over(flags, icl::io::dtype::boolean, "m.npz:mask"), count),
                      Catch::Contains("m.npz:mask holds dtype bool"));
  REQUIRE_THROWS_WITH(icl::io::visit_float(icl::io::array{}, count),
                      "icl::io::visit_float: the array is empty (default-constructed)");
  CHECK(calls == 0);
}

TEST_CASE("labels: integer arrays as std::vector<int>, range-checked", "[io][labels]") {
  const icl::io::array file = icl::io::load(ICL_TEST_DATA_DIR "io/labels.npy");
  const std::vector<int> labels = file.labels();
  const std::vector<std::int64_t> wide = file.integers();
  REQUIRE(labels.size() == wide.size());
  for (std::size_t k = 0; k < labels.size(); ++k) CHECK(labels[k] == wide[k]);
  static_assert(std::is_same_v<decltype(file.labels()), std::vector<int>>);

  const std::vector<std::int64_t> in_range{std::numeric_limits<int>::min(), -1, 0, std::numeric_limits<int>::max()};
  CHECK(array_over(in_range, icl::io::dtype::i64, "x").labels() ==
        std::vector<int>{std::numeric_limits<int>::min(), -1, 0, std::numeric_limits<int>::max()});
  const std::vector<unsigned char> flags{0, 1, 1};
  CHECK(array_over(flags, icl::io::dtype::boolean, "b").labels() == std::vector<int>{0, 1, 1});

  const std::vector<std::int64_t> big{3, std::int64_t{1} << 40};
  REQUIRE_THROWS_AS(array_over(big, icl::io::dtype::i64, "big.npy").labels(), icl::invalid_argument);
  REQUIRE_THROWS_WITH(array_over(big, icl::io::dtype::i64, "big.npy").labels(),
                      "icl::io::array::labels: big.npy element 1 is 1099511627776, outside the range of int");
  const std::vector<std::uint32_t> wide_u{7, 4000000000u};
  REQUIRE_THROWS_WITH(array_over(wide_u, icl::io::dtype::u32, "u.npy").labels(), Catch::Contains("element 1"));
  const std::vector<float> f{1.0f};
  REQUIRE_THROWS_WITH(array_over(f, icl::io::dtype::f32, "f.npy").labels(),
                      "icl::io::array::labels: f.npy holds f32, not integers");
  REQUIRE_THROWS_WITH(icl::io::array{}.labels(), Catch::Contains("icl::io::array::labels"));
}

TEST_CASE("io enum names: to_string and from_string agree with dtype_name", "[io][enum]") {
  using icl::io::dtype;
  const std::vector<dtype> all{dtype::f16, dtype::bf16, dtype::f32, dtype::f64, dtype::i8,  dtype::i16,    dtype::i32,
                               dtype::i64, dtype::u8,   dtype::u16, dtype::u32, dtype::u64, dtype::boolean};
  REQUIRE(icl::enum_names<dtype>().size() == all.size());
  for (std::size_t k = 0; k < all.size(); ++k) {
    const dtype t = all[k];
    INFO(icl::io::dtype_name(t));
    CHECK(icl::to_string(t) == icl::io::dtype_name(t));
    CHECK(icl::enum_names<dtype>()[k] == icl::io::dtype_name(t));
    CHECK(icl::from_string<dtype>(icl::io::dtype_name(t)) == t);
  }
  CHECK(std::string(icl::io::dtype_name(dtype::boolean)) == "bool");
  CHECK(std::string(icl::io::dtype_name(static_cast<dtype>(99))) == "?");
  REQUIRE_THROWS_WITH(icl::from_string<dtype>("float32"),
                      "icl::from_string: 'float32' is not a icl::io::dtype (one of f16, bf16, f32, f64, i8, i16, i32, "
                      "i64, u8, u16, u32, u64, bool)");

  using icl::io::storage;
  for (storage s : {storage::mapped, storage::external, storage::copied, storage::inflated}) {
    CHECK(icl::from_string<storage>(icl::to_string(s)) == s);
  }
  CHECK(icl::to_string(storage::inflated) == "inflated");
  CHECK(icl::enum_names<storage>() == std::vector<std::string>{"mapped", "external", "copied", "inflated"});
  REQUIRE_THROWS_AS(icl::from_string<storage>("Mapped"), icl::invalid_argument);
}
