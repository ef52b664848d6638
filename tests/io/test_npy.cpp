// .npy reader: values of files numpy wrote (tests/data/make_io_fixtures.py), layouts, zero copy,
// and every malformed-file case with its exact message.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <sys/types.h>
#include <unistd.h>

#include "icl/io/npy.hpp"
#include "io/support.hpp"
#include "support/fixture.hpp"

namespace {

using icl::io::dtype;
using icl::io::format_error;
using namespace icl_io_test;  // the helpers of io/support.hpp

void require_parse_error(const bytes& image, const std::string& what) {
  require_throws_exactly<format_error>([&] { (void)icl::io::parse_npy(image.data(), image.size(), "buf.npy"); },
                                       "buf.npy: " + what);
}

}  // namespace

TEST_CASE("read_npy: float32 C order, viewed in the mapping", "[io][npy]") {
  const auto a = icl::io::read_npy(data_path("f32_c.npy"));
  REQUIRE(a.valid());
  REQUIRE(a.type() == dtype::f32);
  REQUIRE(a.shape() == std::vector<std::size_t>{5, 4});
  REQUIRE(a.strides() == std::vector<std::ptrdiff_t>{4, 1});
  REQUIRE(a.rank() == 2);
  REQUIRE(a.size() == 20);
  REQUIRE(a.nbytes() == 80);
  REQUIRE(a.is_floating());
  REQUIRE_FALSE(a.is_integer());
  REQUIRE(a.source() == data_path("f32_c.npy"));
  REQUIRE(a.where() == icl::io::storage::mapped);
  REQUIRE(icl_io_test::in_file_mapping(a.data(), "/f32_c.npy"));
  REQUIRE(a.doubles() == values().values("f32_c"));

  const auto m = a.matrix<float>();
  REQUIRE(m.data() == a.data());
  REQUIRE(m.rows() == 5);
  REQUIRE(m.cols() == 4);
  const auto& expected = values().values("f32_c");
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j < 4; ++j) REQUIRE(static_cast<double>(m(i, j)) == expected[i * 4 + j]);
  }
}

TEST_CASE("read_npy: Fortran order gives column-major strides", "[io][npy]") {
  const auto a = icl::io::read_npy(data_path("f64_fortran.npy"));
  REQUIRE(a.type() == dtype::f64);
  REQUIRE(a.shape() == std::vector<std::size_t>{3, 5});
  REQUIRE(a.strides() == std::vector<std::ptrdiff_t>{1, 3});
  const auto& expected = values().values("f64_fortran");
  REQUIRE(a.doubles() == expected);  // doubles() is C order whatever the layout
  const auto m = a.matrix<double>();
  REQUIRE(m.row_stride() == 1);
  REQUIRE(m.col_stride() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 5; ++j) REQUIRE(m(i, j) == expected[i * 5 + j]);
  }

  const auto b = icl::io::read_npy(data_path("v3_fortran.npy"));
  REQUIRE(b.shape() == std::vector<std::size_t>{2, 3, 2});
  REQUIRE(b.strides() == std::vector<std::ptrdiff_t>{1, 2, 6});
  REQUIRE(b.doubles() == values().values("v3_fortran"));
  const auto t = b.view<double, 3>();
  REQUIRE(t(1, 2, 1) == values().values("v3_fortran")[1 * 6 + 2 * 2 + 1]);
}

TEST_CASE("read_npy: format versions 2 and 3, float16, scalars and empty arrays", "[io][npy]") {
  const auto v2 = icl::io::read_npy(data_path("v2.npy"));
  REQUIRE(v2.type() == dtype::f32);
  REQUIRE(v2.doubles() == values().values("v2"));

  const auto h = icl::io::read_npy(data_path("f16.npy"));
  REQUIRE(h.type() == dtype::f16);
  REQUIRE(h.doubles() == values().values("f16"));
  const auto hv = h.matrix<icl::f16>();
  REQUIRE(static_cast<double>(static_cast<float>(hv(1, 2))) == values().values("f16")[5]);

  const auto s = icl::io::read_npy(data_path("scalar.npy"));
  REQUIRE(s.rank() == 0);
  REQUIRE(s.size() == 1);
  REQUIRE(s.doubles() == std::vector<double>{2.5});

  const auto e = icl::io::read_npy(data_path("empty.npy"));
  REQUIRE(e.shape() == std::vector<std::size_t>{0, 4});
  REQUIRE(e.size() == 0);
  REQUIRE(e.doubles().empty());
  REQUIRE(e.matrix<float>().empty());
}

TEST_CASE("read_npy: every integer dtype and bool", "[io][npy]") {
  const std::pair<const char*, dtype> cases[] = {{"i1", dtype::i8},  {"i2", dtype::i16}, {"i4", dtype::i32},
                                                 {"i8", dtype::i64}, {"u1", dtype::u8},  {"u2", dtype::u16},
                                                 {"u4", dtype::u32}, {"u8", dtype::u64}, {"b1", dtype::boolean}};
  for (const auto& [code, type] : cases) {
    INFO(code);
    const auto a = icl::io::read_npy(data_path(std::string("int_") + code + ".npy"));
    REQUIRE(a.type() == type);
    REQUIRE(a.is_integer() == (type != dtype::boolean));
    REQUIRE(a.is_boolean() == (type == dtype::boolean));
    const auto& expected = values().values(std::string("int_") + code);
    const auto got = a.integers();
    REQUIRE(got.size() == expected.size());
    for (std::size_t k = 0; k < got.size(); ++k) REQUIRE(static_cast<double>(got[k]) == expected[k]);
  }
  const auto labels = icl::io::read_npy(data_path("labels.npy")).integers();
  REQUIRE(labels == std::vector<std::int64_t>{0, 2, 1, 1, 0, 2});
}

TEST_CASE("array accessors reject the wrong dtype or rank, and out-of-range integers", "[io][npy]") {
  const auto a = icl::io::read_npy(data_path("f32_c.npy"));
  const std::string src = data_path("f32_c.npy");
  require_throws_exactly<icl::invalid_argument>(
      [&] { (void)a.matrix<double>(); },
      "icl::io::array::matrix: " + src + " holds f32 [5, 4] (rank 2), not f64 of rank 2");
  require_throws_exactly<icl::invalid_argument>(
      [&] { (void)a.view<float, 3>(); }, "icl::io::array::view: " + src + " holds f32 [5, 4] (rank 2), not f32 of rank 3");
  require_throws_exactly<icl::invalid_argument>([&] { (void)a.integers(); },
                                                "icl::io::array::integers: " + src + " holds f32, not integers");
  const auto big = icl::io::read_npy(data_path("u8_big.npy"));
  require_throws_exactly<icl::invalid_argument>(
      [&] { (void)big.integers(); },
      "icl::io::array::integers: " + data_path("u8_big.npy") + " element 1 is 9223372036854775808, above the int64 range");
  REQUIRE(big.doubles() == std::vector<double>{1.0, 9223372036854775808.0});
  require_throws_exactly<icl::invalid_argument>([] { (void)icl::io::array().doubles(); },
                                                "icl::io::array::doubles: the array is empty (default-constructed)");
}

TEST_CASE("parse_npy views the caller's buffer; the array outlives nothing it needs", "[io][npy]") {
  const bytes image = icl_io_test::read_file(data_path("f32_c.npy"));
  const auto a = icl::io::parse_npy(image.data(), image.size(), "mem");
  REQUIRE(a.where() == icl::io::storage::external);
  REQUIRE(a.data() == image.data() + 128);
  REQUIRE(a.source() == "mem");
  REQUIRE(a.doubles() == values().values("f32_c"));

  // An image with a header whose data offset is not aligned to the item size is copied.
  bytes odd = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  const std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n";
  icl_io_test::put_le(odd, header.size(), 2);
  odd.insert(odd.end(), header.begin(), header.end());
  const bytes data = icl_io_test::raw(std::vector<double>{1.5, -2.0});
  odd.insert(odd.end(), data.begin(), data.end());
  REQUIRE((10 + header.size()) % 8 != 0);
  const auto c = icl::io::parse_npy(odd.data(), odd.size(), "odd");
  REQUIRE(c.where() == icl::io::storage::copied);
  REQUIRE(reinterpret_cast<std::uintptr_t>(c.data()) % 64 == 0);
  REQUIRE(c.view<double, 1>()(1) == -2.0);
  REQUIRE(c.doubles() == std::vector<double>{1.5, -2.0});
}

TEST_CASE("parse_npy: wrong magic, short preambles, unsupported versions", "[io][npy][hostile]") {
  const bytes good = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", zeros(8));
  REQUIRE(icl::io::parse_npy(good.data(), good.size(), "buf.npy").size() == 2);

  bytes wrong = good;
  wrong[1] = 'X';
  require_parse_error(wrong, "not an .npy file (wrong magic; expected \\x93NUMPY)");
  require_parse_error(bytes{}, "not an .npy file (wrong magic; expected \\x93NUMPY)");
  require_parse_error(bytes(good.begin(), good.begin() + 9), "truncated: the file ends inside the .npy preamble (9 bytes)");
  const bytes v2 = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", zeros(8), 2);
  require_parse_error(bytes(v2.begin(), v2.begin() + 11), "truncated: the file ends inside the .npy preamble (11 bytes)");
  bytes v4 = good;
  v4[6] = 4;
  require_parse_error(v4, "unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)");
  bytes minor = good;
  minor[7] = 1;
  require_parse_error(minor, "unsupported .npy format version 1.1 (supported: 1.0, 2.0, 3.0)");
}

TEST_CASE("parse_npy: header length past the end, truncated and oversized data", "[io][npy][hostile]") {
  bytes image = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 4), }", zeros(80));
  REQUIRE(image.size() == 128 + 80);
  bytes long_header = image;
  icl_io_test::set_le(long_header, 8, 5000, 2);
  require_parse_error(long_header, "header length 5000 runs past the end of the file (208 bytes)");
  bytes v2 = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 4), }", zeros(80), 2);
  icl_io_test::set_le(v2, 8, 0xFFFFFFFFu, 4);
  require_parse_error(v2, "header length 4294967295 runs past the end of the file (208 bytes)");

  require_parse_error(bytes(image.begin(), image.end() - 40),
                      "truncated: shape [5, 4] of f32 needs 80 data bytes, the file holds 40");
  require_parse_error(bytes(image.begin(), image.begin() + 100), "header length 118 runs past the end of the file (100 bytes)");
  bytes extra = image;
  extra.push_back(0);
  require_parse_error(extra, "shape [5, 4] of f32 needs 80 data bytes, the file holds 81 (1 trailing bytes)");

  // The same through a file on disk.
  const std::string path = icl_io_test::temp_path("truncated.npy");
  icl_io_test::write_file(path, bytes(image.begin(), image.end() - 1));
  require_throws_exactly<format_error>([&] { (void)icl::io::read_npy(path); },
                                       path + ": truncated: shape [5, 4] of f32 needs 80 data bytes, the file holds 79");
  std::remove(path.c_str());
  require_throws_exactly<icl::io::file_error>([&] { (void)icl::io::read_npy(path); },
                                              path + ": cannot open: No such file or directory");
  require_throws_exactly<icl::io::file_error>([&] { (void)icl::io::read_npy(ICL_TEST_DATA_DIR "io"); },
                                              ICL_TEST_DATA_DIR "io: not a regular file");
}

TEST_CASE("parse_npy: big-endian, unknown and structured dtypes", "[io][npy][hostile]") {
  auto with_descr = [](const std::string& descr) {
    return make_npy("{'descr': " + descr + ", 'fortran_order': False, 'shape': (2,), }", zeros(16));
  };
  require_parse_error(with_descr("'>f4'"), "big-endian dtype '>f4' is not supported");
  require_parse_error(with_descr("'>i8'"), "big-endian dtype '>i8' is not supported");
  require_parse_error(with_descr("'|f8'"), "dtype '|f8' has no byte order ('|') but several bytes");
  require_parse_error(with_descr("'<c8'"), "unsupported dtype '<c8' (supported: f2, f4, f8, i1-i8, u1-u8, b1)");
  require_parse_error(with_descr("'<U4'"), "unsupported dtype '<U4' (supported: f2, f4, f8, i1-i8, u1-u8, b1)");
  require_parse_error(with_descr("'O'"), "unknown dtype 'O'");
  require_parse_error(with_descr("'?i1'"), "unknown byte order in dtype '?i1'");
  require_parse_error(with_descr("[('a', '<f4')]"), "structured dtypes (a list in 'descr') are not supported");
  // One-byte types in any byte order are fine ('>' is meaningless for them).
  const bytes ok = make_npy("{'descr': '>u1', 'fortran_order': False, 'shape': (2,), }", bytes{7, 9});
  REQUIRE(icl::io::parse_npy(ok.data(), ok.size(), "buf.npy").integers() == std::vector<std::int64_t>{7, 9});
}

TEST_CASE("parse_npy: headers that do not parse", "[io][npy][hostile]") {
  auto header = [](const std::string& text) { return make_npy(text, zeros(8)); };
  require_parse_error(header("['descr', '<f4']"), "the header does not start with '{'");
  require_parse_error(header("{'descr': '<f4', 'fortran_order': False}"), "the header lacks the key 'shape'");
  require_parse_error(header("{'shape': (2,), 'fortran_order': False}"), "the header lacks the key 'descr'");
  require_parse_error(header("{'descr': '<f4', 'shape': (2,)}"), "the header lacks the key 'fortran_order'");
  require_parse_error(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}"),
                      "unknown header key 'x'");
  require_parse_error(header("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}"),
                      "header key 'descr' appears twice");
  require_parse_error(header("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}"),
                      "'fortran_order' is neither True nor False");
  require_parse_error(header("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}"), "'shape' is not a tuple");
  require_parse_error(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}"),
                      "'shape' holds something other than non-negative integers");
  require_parse_error(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}"),
                      "expected ',' or ')' in 'shape'");
  require_parse_error(header("{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}"),
                      "expected ',' or '}' after the value of header key 'descr'");
  require_parse_error(header("{descr: '<f4'}"), "expected a quoted string for a header key");
  require_parse_error(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x"),
                      "unexpected text after the header dict");
  require_parse_error(header("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2,)}"),
                      "escape sequences in header strings are not supported");
  require_parse_error(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,"), "the header ends early");
}

TEST_CASE("parse_npy: shapes whose element or byte count overflows size_t", "[io][npy][hostile]") {
  auto shaped = [](const std::string& shape) {
    return make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }", zeros(16));
  };
  require_parse_error(shaped("(99999999999999999999999,)"), "a 'shape' extent does not fit in size_t");
  require_parse_error(shaped("(4294967296, 4294967296)"),
                      "shape [4294967296, 4294967296] has more elements than size_t can count");
  require_parse_error(shaped("(4611686018427387904,)"),
                      "shape [4611686018427387904] of f64 has more bytes than size_t can count");
  require_parse_error(shaped("(1000000, 1000000)"),
                      "truncated: shape [1000000, 1000000] of f64 needs 8000000000000 data bytes, the file holds 16");
  // A 0 in the shape makes any other extent harmless: an empty array, valid.
  const bytes empty = make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 18446744073709551615), }", {});
  const auto e = icl::io::parse_npy(empty.data(), empty.size(), "buf.npy");
  REQUIRE(e.size() == 0);
  REQUIRE(e.doubles().empty());
  // Python 2 long literals and a trailing comma are accepted.
  const bytes py2 = make_npy("{'descr': '<f8', 'fortran_order': True, 'shape': (1L, 2L), }", zeros(16));
  REQUIRE(icl::io::parse_npy(py2.data(), py2.size(), "buf.npy").shape() == std::vector<std::size_t>{1, 2});
}

TEST_CASE("parse_npy: empty arrays keep representable strides", "[io][npy]") {
  const bytes c = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4, 3), }", {});
  REQUIRE(icl::io::parse_npy(c.data(), c.size(), "c").strides() == std::vector<std::ptrdiff_t>{12, 3, 1});
  const bytes f = make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 0, 3), }", {});
  REQUIRE(icl::io::parse_npy(f.data(), f.size(), "f").strides() == std::vector<std::ptrdiff_t>{1, 2, 2});
  // Extents whose product overflows ptrdiff_t (found by the fuzzer): strides of 1, no overflow.
  const bytes huge =
      make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (0, 3, 2999999999, 446744037092, 3), }", {});
  const auto a = icl::io::parse_npy(huge.data(), huge.size(), "huge");
  REQUIRE(a.size() == 0);
  REQUIRE(a.strides() == std::vector<std::ptrdiff_t>{1, 1, 1, 1, 1});
  REQUIRE(a.doubles().empty());
}

TEST_CASE("read_npy maps a 5 GiB file without reading it", "[io][npy]") {
  // A sparse file: the header, then 5 GiB of zeros that take no disk space. Mapping it reads
  // nothing; the elements touched below are the only pages loaded.
  const std::size_t n = (std::size_t{5} << 30) / 4;
  const bytes header = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(n / 1024) +
                                    ", 1024), }",
                                {});
  const std::string path = icl_io_test::temp_path("sparse.npy");
  icl_io_test::write_file(path, header);
  if (::truncate(path.c_str(), static_cast<off_t>(header.size() + n * 4)) != 0) {
    std::remove(path.c_str());
    WARN("cannot make a sparse 5 GiB file here; skipped");
    return;
  }
  {
    const auto a = icl::io::read_npy(path);
    REQUIRE(a.where() == icl::io::storage::mapped);
    REQUIRE(a.nbytes() == (std::size_t{5} << 30));
    const auto m = a.matrix<float>();
    REQUIRE(m.rows() == n / 1024);
    REQUIRE(m(m.rows() - 1, 1023) == 0.0f);
    REQUIRE(m(m.rows() / 2, 7) == 0.0f);
  }
  std::remove(path.c_str());
}
