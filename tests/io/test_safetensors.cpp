// .safetensors reader: every dtype, metadata, zero copy, the copy of misaligned data, and every
// malformed-header case with its exact message.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "icl/io/safetensors.hpp"
#include "io/support.hpp"
#include "support/fixture.hpp"

namespace {

using icl::io::dtype;
using icl::io::format_error;
using namespace icl_io_test;  // the helpers of io/support.hpp

void require_header_error(const bytes& image, const std::string& what) {
  require_throws_exactly<format_error>(
      [&] { (void)icl::io::parse_safetensors(image.data(), image.size(), "buf.safetensors"); },
      "buf.safetensors: " + what);
}

void require_header_error(const std::string& header, const bytes& data, const std::string& what) {
  require_header_error(make_safetensors(header, data), what);
}

}  // namespace

TEST_CASE("safetensors_file: every dtype, viewed in the mapping", "[io][safetensors]") {
  const std::string path = data_path("acts.safetensors");
  icl::io::array hidden;
  {
    const icl::io::safetensors_file f(path);
    REQUIRE(f.source() == path);
    REQUIRE(f.size() == 15);
    REQUIRE(f.contains("t_BF16"));
    REQUIRE_FALSE(f.contains("__metadata__"));
    REQUIRE(f.metadata() == std::map<std::string, std::string>{{"format", "pt"}, {"model", "toy"}});
    const std::vector<std::string> names = f.names();
    REQUIRE(names.front() == "empty");
    REQUIRE(names.back() == "t_U8");

    const std::pair<const char*, dtype> cases[] = {
        {"t_F16", dtype::f16}, {"t_BF16", dtype::bf16}, {"t_F32", dtype::f32}, {"t_F64", dtype::f64},
        {"t_I8", dtype::i8},   {"t_I16", dtype::i16},   {"t_I32", dtype::i32}, {"t_I64", dtype::i64},
        {"t_U8", dtype::u8},   {"t_U16", dtype::u16},   {"t_U32", dtype::u32}, {"t_U64", dtype::u64},
        {"t_BOOL", dtype::boolean}};
    for (const auto& [name, type] : cases) {
      INFO(name);
      const auto a = f.get(name);
      REQUIRE(a.type() == type);
      REQUIRE(a.source() == path + ":" + name);
      REQUIRE(a.where() == icl::io::storage::mapped);
      REQUIRE(icl_io_test::in_file_mapping(a.data(), "/acts.safetensors"));
      REQUIRE(a.doubles() == values().values(name));
      if (!a.is_floating() && type != dtype::u64) {
        const auto ints = a.integers();
        for (std::size_t k = 0; k < ints.size(); ++k) REQUIRE(static_cast<double>(ints[k]) == values().values(name)[k]);
      }
    }
    const auto bf = f.get("t_BF16").matrix<icl::bf16>();
    REQUIRE(bf.rows() == 4);
    REQUIRE(static_cast<double>(static_cast<float>(bf(3, 2))) == values().values("t_BF16")[11]);
    const auto empty = f.get("empty");
    REQUIRE(empty.shape() == std::vector<std::size_t>{0, 3});
    REQUIRE(empty.doubles().empty());
    hidden = f.get("hidden");
    require_throws_exactly<format_error>([&] { (void)f.get("nope"); },
                                         path + ": no tensor 'nope' (tensors: " + [&] {
                                           std::string all;
                                           for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
                                           return all;
                                         }() + ")");
  }
  // The file object is gone; the array keeps the mapping alive.
  REQUIRE(hidden.doubles() == values().values("hidden"));
  const auto layers = hidden.view<float, 3>();
  REQUIRE(layers.extent(0) == 3);
  REQUIRE(static_cast<double>(layers.matrix(1)(2, 3)) == values().values("hidden")[1 * 20 + 2 * 5 + 3]);
}

TEST_CASE("safetensors_file: misaligned data is copied into an aligned buffer", "[io][safetensors]") {
  const icl::io::safetensors_file f(data_path("misaligned.safetensors"));
  REQUIRE(f.metadata().empty());
  const auto a = f.get("a");
  REQUIRE(a.where() == icl::io::storage::copied);
  REQUIRE(reinterpret_cast<std::uintptr_t>(a.data()) % 64 == 0);
  REQUIRE(a.doubles() == values().values("v2"));
  const auto b = f.get("b");
  REQUIRE(b.where() == icl::io::storage::copied);
  REQUIRE(b.matrix<double>().rows() == 6);
}

TEST_CASE("parse_safetensors views the caller's buffer", "[io][safetensors]") {
  const bytes image = make_safetensors(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                       icl_io_test::raw(std::vector<float>{1.5f, -2.5f}));
  const auto f = icl::io::parse_safetensors(image.data(), image.size(), "mem");
  const auto x = f.get("x");
  REQUIRE(x.where() == icl::io::storage::external);
  REQUIRE(x.data() == image.data() + image.size() - 8);
  REQUIRE(x.doubles() == std::vector<double>{1.5, -2.5});
  // Holes between tensors are allowed; a tensor need not start at 0.
  const bytes holes = make_safetensors(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", zeros(12));
  REQUIRE(icl::io::parse_safetensors(holes.data(), holes.size(), "m").get("x").size() == 1);
}

TEST_CASE("parse_safetensors: short files, header lengths past the end, bad JSON", "[io][safetensors][hostile]") {
  require_header_error(bytes{1, 2, 3}, "not a .safetensors file (3 bytes, too short for the 8-byte header length)");
  bytes past = make_safetensors("{}", {});
  icl_io_test::set_le(past, 0, 1000, 8);
  require_header_error(past, "header length 1000 runs past the end of the file (16 bytes)");
  icl_io_test::set_le(past, 0, 0xFFFFFFFFFFFFFFF0ull, 8);
  require_header_error(past, "header length 18446744073709551600 runs past the end of the file (16 bytes)");
  require_header_error("[1, 2]", {}, "not a .safetensors file (the header after the 8-byte length is not a JSON object)");
  // The parser's own words follow the prefix (they vary with the nlohmann-json version).
  for (const std::string text : {R"({"x": {"dtype": "F32",)", R"({"x":1} {"y":2})", "{\"x\":\"\xff\"}"}) {
    const bytes image = make_safetensors(text, {});
    bool thrown = false;
    try {
      (void)icl::io::parse_safetensors(image.data(), image.size(), "buf.safetensors");
    } catch (const format_error& e) {
      thrown = true;
      REQUIRE_THAT(e.what(), Catch::StartsWith("buf.safetensors: the JSON header does not parse (") &&
                                 Catch::Contains("parse error") && Catch::EndsWith(")"));
    }
    REQUIRE(thrown);
  }
  require_header_error(R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}})", {},
                       "the JSON header nests deeper than 8 levels");
  std::string deep = "{\"x\":";
  for (int k = 0; k < 100000; ++k) deep += '[';
  require_header_error(deep, {}, "the JSON header nests deeper than 8 levels");
}

TEST_CASE("parse_safetensors: duplicate names, malformed entries, unsupported dtypes", "[io][safetensors][hostile]") {
  const bytes d8 = zeros(8);
  require_header_error(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                       d8, "duplicate key 'x' in the JSON header");
  require_header_error(R"({"x":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})", d8,
                       "duplicate key 'dtype' in the JSON header");
  require_header_error(R"({"x":[1,2]})", d8, "tensor 'x' is not described by a JSON object");
  require_header_error(R"({"x":{"dtype":"F32","shape":[2]}})", d8, "tensor 'x' lacks 'data_offsets'");
  require_header_error(R"({"x":{"shape":[2],"data_offsets":[0,8]}})", d8, "tensor 'x' lacks 'dtype'");
  require_header_error(R"({"x":{"dtype":"F32","data_offsets":[0,8]}})", d8, "tensor 'x' lacks 'shape'");
  require_header_error(R"({"x":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", d8,
                       "tensor 'x' has a dtype that is not a string");
  require_header_error(R"({"x":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}})", d8,
                       "tensor 'x' has the unsupported dtype 'F8_E4M3' (supported: F16, BF16, F32, F64, I8-I64, "
                       "U8-U64, BOOL)");
  require_header_error(R"({"x":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})", d8,
                       "tensor 'x' has the unsupported dtype 'f32' (supported: F16, BF16, F32, F64, I8-I64, U8-U64, "
                       "BOOL)");
  require_header_error(R"({"x":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", d8,
                       "tensor 'x' has a shape that is not a list");
  require_header_error(R"({"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", d8,
                       "tensor 'x' has a negative shape extent");
  require_header_error(R"({"x":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", d8,
                       "tensor 'x' has a shape extent that is not an integer");
  require_header_error(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", d8,
                       "tensor 'x' has data_offsets that are not a [begin, end] pair");
  require_header_error(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,"8"]}})", d8,
                       "tensor 'x' has a data offset that is not an integer");
  require_header_error(R"({"__metadata__":{"a":1}})", {}, "'__metadata__' value of 'a' is not a string");
  require_header_error(R"({"__metadata__":[]})", {}, "'__metadata__' is not an object");
}

TEST_CASE("parse_safetensors: offsets out of range, overlapping, or not matching the shape", "[io][safetensors][hostile]") {
  const bytes d16 = zeros(16);
  require_header_error(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[8,4]}})", d16,
                       "tensor 'x' has data_offsets [8, 4] with end < begin");
  require_header_error(R"({"x":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}})", d16,
                       "tensor 'x' has data_offsets [0, 24] past the end of the data (16 bytes)");
  require_header_error(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551615]}})",
                       d16, "tensor 'x' has data_offsets [18446744073709551612, 18446744073709551615] past the end of "
                            "the data (16 bytes)");
  require_header_error(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d16,
                       "tensor 'x' has shape [3] of f32 but data_offsets [0, 8] hold 8 bytes");
  require_header_error(R"({"x":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})", d16,
                       "tensor 'x' has shape [4611686018427387904] of f64 but data_offsets [0, 0] hold 0 bytes");
  require_header_error(R"({"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}})", d16,
                       "tensor 'x' has shape [4294967296, 4294967296] with more elements than size_t can count");
  require_header_error(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                       d16, "tensors 'x' and 'y' overlap in the data");
  require_header_error(R"({"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},)"
                       R"("b":{"dtype":"U8","shape":[1],"data_offsets":[15,16]}})",
                       d16, "tensors 'a' and 'b' overlap in the data");
  // Empty tensors take no bytes and overlap nothing.
  const bytes ok = make_safetensors(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                    R"("e":{"dtype":"F32","shape":[0,5],"data_offsets":[8,8]}})",
                                    d16);
  REQUIRE(icl::io::parse_safetensors(ok.data(), ok.size(), "m").get("e").size() == 0);
}

TEST_CASE("safetensors_file: missing and truncated files", "[io][safetensors][hostile]") {
  require_cannot_open<icl::io::safetensors_file>("missing.safetensors");
  const bytes full = icl_io_test::read_file(data_path("acts.safetensors"));
  const std::string path = icl_io_test::temp_path("cut.safetensors");
  icl_io_test::write_file(path, bytes(full.begin(), full.end() - 1));
  const std::size_t data_size = full.size() - 1 - 8 - icl_io_test::get_le(full, 0, 8);
  bool thrown = false;
  try {
    icl::io::safetensors_file f(path);
  } catch (const format_error& e) {
    thrown = true;
    // The last tensor in the data now runs one byte past its end.
    REQUIRE_THAT(e.what(), Catch::StartsWith(path + ": tensor '") &&
                               Catch::EndsWith("past the end of the data (" + std::to_string(data_size) + " bytes)"));
  }
  REQUIRE(thrown);
  std::remove(path.c_str());
}
