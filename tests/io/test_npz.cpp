// .npz reader: numpy.savez (stored) and numpy.savez_compressed (deflate) archives, a zip64
// archive, zero copy of aligned stored members, and every malformed-archive case.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "icl/io/npz.hpp"
#include "io/support.hpp"
#include "support/fixture.hpp"

namespace {

using icl::io::dtype;
using icl::io::format_error;
using namespace icl_io_test;  // the helpers of io/support.hpp

bytes small_npy() {
  return make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                  icl_io_test::raw(std::vector<double>{1.0, 2.0, 3.0}));
}

// Opens the archive and reads every member, as a caller would.
void open_all(const bytes& image) {
  const auto archive = icl::io::parse_npz(image.data(), image.size(), "buf.npz");
  for (const auto& name : archive.names()) (void)archive.get(name).doubles();
}

void require_npz_error(const bytes& image, const std::string& what) {
  require_throws_exactly<format_error>([&] { open_all(image); }, what);
}

}  // namespace

TEST_CASE("npz_archive: numpy.savez members (stored)", "[io][npz]") {
  const std::string path = data_path("acts.npz");
  const icl::io::npz_archive z(path);
  REQUIRE(z.names() == std::vector<std::string>{"hidden", "labels", "f16", "fortran"});
  REQUIRE(z.size() == 4);
  REQUIRE(z.contains("hidden"));
  REQUIRE(z.contains("hidden.npy"));
  REQUIRE_FALSE(z.contains("nope"));
  REQUIRE(z.source() == path);

  const auto hidden = z.get("hidden");
  REQUIRE(hidden.source() == path + ":hidden");
  REQUIRE(hidden.type() == dtype::f32);
  REQUIRE(hidden.shape() == std::vector<std::size_t>{3, 4, 5});
  REQUIRE(hidden.doubles() == values().values("hidden"));
  // Where numpy's zip headers leave a member's data aligned to its item size it is viewed in the
  // mapping (hidden, f32), elsewhere copied (fortran, f64).
  REQUIRE(hidden.where() == icl::io::storage::mapped);
  REQUIRE(icl_io_test::in_file_mapping(hidden.data(), "/acts.npz"));
  const auto t = hidden.view<float, 3>();
  REQUIRE(static_cast<double>(t(2, 3, 4)) == values().values("hidden").back());

  const auto labels = z.get("labels.npy").integers();
  REQUIRE(labels == std::vector<std::int64_t>{0, 2, 1, 1, 0, 2});
  REQUIRE(z.get("f16").doubles() == values().values("f16"));
  const auto fortran = z.get("fortran");
  REQUIRE(fortran.where() == icl::io::storage::copied);
  REQUIRE(reinterpret_cast<std::uintptr_t>(fortran.data()) % 64 == 0);
  REQUIRE(fortran.strides() == std::vector<std::ptrdiff_t>{1, 3});
  REQUIRE(fortran.doubles() == values().values("f64_fortran"));

  require_throws_exactly<format_error>([&] { (void)z.get("nope"); },
                                       path + ": no member 'nope' (members: hidden, labels, f16, fortran)");
}

TEST_CASE("npz_archive: numpy.savez_compressed members (deflate) are inflated", "[io][npz]") {
  const std::string path = data_path("acts_compressed.npz");
  const icl::io::npz_archive z(path);
  REQUIRE(z.names() == std::vector<std::string>{"hidden", "labels", "empty"});
  const auto hidden = z.get("hidden");
  REQUIRE(hidden.where() == icl::io::storage::inflated);
  REQUIRE(reinterpret_cast<std::uintptr_t>(hidden.data()) % 64 == 0);
  REQUIRE(hidden.doubles() == values().values("hidden"));
  REQUIRE(z.get("labels").integers() == std::vector<std::int64_t>{0, 2, 1, 1, 0, 2});
  const auto empty = z.get("empty");
  REQUIRE(empty.shape() == std::vector<std::size_t>{2, 0});
  REQUIRE(empty.size() == 0);
}

TEST_CASE("npz_archive: zip64 records; an aligned stored member is viewed in the mapping", "[io][npz]") {
  const std::string path = data_path("zip64.npz");
  icl::io::array stored, deflated;
  {
    const icl::io::npz_archive z(path);
    REQUIRE(z.names() == std::vector<std::string>{"stored", "deflated"});
    stored = z.get("stored");
    deflated = z.get("deflated");
  }
  // The archive object is gone; the arrays keep the mapping (and the inflated buffer) alive.
  REQUIRE(stored.where() == icl::io::storage::mapped);
  REQUIRE(icl_io_test::in_file_mapping(stored.data(), "/zip64.npz"));
  REQUIRE(stored.doubles() == values().values("f32_c"));
  REQUIRE(deflated.where() == icl::io::storage::inflated);
  REQUIRE(deflated.doubles() == values().values("v3_fortran"));
}

TEST_CASE("parse_npz: members view the caller's buffer when aligned", "[io][npz]") {
  const bytes npy = small_npy();
  // A stored member whose data starts at offset 30 + name length: "abcdefghijklmnopqrstuvwxyz.npy"
  // (30 characters) puts it at 60, a multiple of 4 but not 8: copied for f8.
  const bytes image = make_zip({zip_member{"abcdefghijklmnopqrstuvwxyz.npy", npy, 0}});
  const auto z = icl::io::parse_npz(image.data(), image.size(), "mem.npz");
  const auto a = z.get("abcdefghijklmnopqrstuvwxyz");
  REQUIRE(a.where() == icl::io::storage::copied);
  REQUIRE(a.doubles() == std::vector<double>{1.0, 2.0, 3.0});
  // 34 characters: data at 64 + 128, aligned: viewed in place.
  const bytes aligned = make_zip({zip_member{"abcdefghijklmnopqrstuvwxyz1234.npy", npy, 0}});
  const auto z2 = icl::io::parse_npz(aligned.data(), aligned.size(), "mem.npz");
  const auto b = z2.get("abcdefghijklmnopqrstuvwxyz1234");
  REQUIRE(b.where() == icl::io::storage::external);
  REQUIRE(b.data() == aligned.data() + 64 + 128);
  REQUIRE(b.source() == "mem.npz:abcdefghijklmnopqrstuvwxyz1234");
  // A member that is not .npy keeps its name.
  const bytes other = make_zip({zip_member{"notes.txt", npy, 8}});
  REQUIRE(icl::io::parse_npz(other.data(), other.size(), "m").names() == std::vector<std::string>{"notes.txt"});
}

TEST_CASE("parse_npz: not a zip, truncated archives, bad directories", "[io][npz][hostile]") {
  const bytes npy = small_npy();
  icl_io_test::zip_layout at;
  const bytes good = make_zip({zip_member{"a.npy", npy, 0}, zip_member{"b.npy", npy, 8}}, &at);
  open_all(good);

  require_npz_error(npy, "buf.npz: not an .npz file (wrong magic; expected a zip archive, PK\\x03\\x04)");
  require_npz_error(bytes{'P', 'K', 3, 4, 0}, "buf.npz: not an .npz file (5 bytes, too short for a zip archive)");
  require_npz_error(bytes(good.begin(), good.end() - 10),
                    "buf.npz: truncated or not a zip archive (no end-of-central-directory record)");

  bytes cd_past = good;
  icl_io_test::set_le(cd_past, at.eocd + 16, 1u << 30, 4);
  require_npz_error(cd_past, "buf.npz: the central directory (offset 1073741824, " +
                                 std::to_string(icl_io_test::get_le(good, at.eocd + 12, 4)) +
                                 " bytes) runs past the end of the file (" + std::to_string(good.size()) + " bytes)");
  bytes many = good;
  icl_io_test::set_le(many, at.eocd + 8, 60000, 2);
  icl_io_test::set_le(many, at.eocd + 10, 60000, 2);
  require_npz_error(many, "buf.npz: the zip directory claims 60000 entries, more than its " +
                              std::to_string(icl_io_test::get_le(good, at.eocd + 12, 4)) + " bytes can hold");
  bytes disks = good;
  icl_io_test::set_le(disks, at.eocd + 4, 1, 2);
  require_npz_error(disks, "buf.npz: multi-disk zip archives are not supported");
  bytes bad_entry = good;
  bad_entry[at.central[1]] = 'X';
  require_npz_error(bad_entry, "buf.npz: zip directory entry 1 is truncated or has a bad signature");
  bytes long_name = good;
  icl_io_test::set_le(long_name, at.central[1] + 28, 5000, 2);
  require_npz_error(long_name, "buf.npz: zip directory entry 1 runs past the end of the directory");
  bytes zip64_missing = good;
  // A zip64 locator before the record whose target is out of range.
  bytes locator;
  icl_io_test::put_le(locator, 0x07064b50, 4);
  icl_io_test::put_le(locator, 0, 4);
  icl_io_test::put_le(locator, 1u << 20, 8);
  icl_io_test::put_le(locator, 1, 4);
  zip64_missing.insert(zip64_missing.begin() + static_cast<std::ptrdiff_t>(at.eocd), locator.begin(), locator.end());
  require_npz_error(zip64_missing,
                    "buf.npz: the zip64 end-of-central-directory record is missing or out of range (offset 1048576)");
  const bytes duplicate = make_zip({zip_member{"a.npy", npy, 0}, zip_member{"a", npy, 0}});
  require_npz_error(duplicate, "buf.npz: duplicate member name 'a'");
}

TEST_CASE("parse_npz: members out of range, unsupported, corrupt or lying about their size", "[io][npz][hostile]") {
  const bytes npy = small_npy();
  icl_io_test::zip_layout at;
  const bytes good = make_zip({zip_member{"a.npy", npy, 0}, zip_member{"b.npy", npy, 8}}, &at);
  const std::uint64_t b_compressed = icl_io_test::get_le(good, at.central[1] + 20, 4);

  bytes local_past = good;
  icl_io_test::set_le(local_past, at.central[0] + 42, good.size() - 10, 4);
  require_npz_error(local_past, "buf.npz:a: the local zip header at offset " + std::to_string(good.size() - 10) +
                                    " is out of range or has a bad signature");
  bytes data_past = good;
  icl_io_test::set_le(data_past, at.central[1] + 20, 1u << 24, 4);
  require_npz_error(data_past, "buf.npz:b: truncated: the member's 16777216 bytes at offset " +
                                   std::to_string(at.local[1] + 30 + 5) + " run past the end of the file (" +
                                   std::to_string(good.size()) + " bytes)");
  bytes method = good;
  icl_io_test::set_le(method, at.central[1] + 10, 12, 2);
  require_npz_error(method, "buf.npz:b: compression method 12 is not supported (only stored and deflate)");
  bytes encrypted = good;
  icl_io_test::set_le(encrypted, at.central[0] + 8, 1, 2);
  require_npz_error(encrypted, "buf.npz:a: the member is encrypted");
  bytes stored_sizes = good;
  icl_io_test::set_le(stored_sizes, at.central[0] + 24, 7, 4);
  require_npz_error(stored_sizes, "buf.npz:a: stored member declares " + std::to_string(npy.size()) +
                                      " compressed but 7 uncompressed bytes");

  bytes corrupt = good;
  corrupt[at.local[1] + 30 + 5] = 0xFF;  // the first deflate block header: an invalid block type
  require_npz_error(corrupt, "buf.npz:b: corrupt compressed member (invalid block type)");
  bytes crc = good;
  icl_io_test::set_le(crc, at.central[1] + 16, 0x12345678u, 4);
  require_npz_error(crc, "buf.npz:b: CRC-32 mismatch: the compressed member is corrupt");
  bytes more = good;
  icl_io_test::set_le(more, at.central[1] + 24, npy.size() - 8, 4);
  require_npz_error(more, "buf.npz:b: the compressed member inflates to more than the " +
                              std::to_string(npy.size() - 8) + " bytes its zip entry declares");
  bytes fewer = good;
  icl_io_test::set_le(fewer, at.central[1] + 24, npy.size() + 8, 4);
  require_npz_error(fewer, "buf.npz:b: the compressed member inflates to " + std::to_string(npy.size()) +
                               " bytes, its zip entry declares " + std::to_string(npy.size() + 8));
  bytes short_stream = good;
  icl_io_test::set_le(short_stream, at.central[1] + 20, b_compressed - 3, 4);
  require_npz_error(short_stream, "buf.npz:b: truncated: the compressed member ends before its deflate stream does");
  bytes bomb = good;
  icl_io_test::set_le(bomb, at.central[1] + 24, 0xFFFFFFF0u, 4);
  require_npz_error(bomb, "buf.npz:b: the zip directory claims 4294967280 bytes inflated from " +
                              std::to_string(b_compressed) + " compressed bytes, more than deflate can produce");

  // .npy errors inside a member name the member.
  bytes bad_npy = npy;
  bad_npy[0] = 'x';
  const bytes with_bad = make_zip({zip_member{"x.npy", bad_npy, 8}});
  require_npz_error(with_bad, "buf.npz:x: not an .npy file (wrong magic; expected \\x93NUMPY)");
  const bytes cut = make_zip({zip_member{"x.npy", bytes(npy.begin(), npy.end() - 8), 0}});
  require_npz_error(cut, "buf.npz:x: truncated: shape [3] of f64 needs 24 data bytes, the file holds 16");
}

TEST_CASE("npz_archive: a missing or truncated file", "[io][npz][hostile]") {
  require_cannot_open<icl::io::npz_archive>("missing.npz");
  const bytes full = icl_io_test::read_file(data_path("acts.npz"));
  const std::string path = icl_io_test::temp_path("cut.npz");
  icl_io_test::write_file(path, bytes(full.begin(), full.begin() + 700));
  require_throws_exactly<format_error>([&] { icl::io::npz_archive z(path); },
                                       path + ": truncated or not a zip archive (no end-of-central-directory record)");
  std::remove(path.c_str());
}
