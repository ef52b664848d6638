// Helpers of the reader tests: fixture paths, file bytes, .npy / .safetensors / zip images built
// in memory (for the hostile-file cases), exact exception checks, and a /proc/self/maps lookup
// that tells whether a pointer lies in a mapping of a given file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>
#include <zlib.h>

#include "icl/io/array.hpp"
#include "support/fixture.hpp"

#ifndef ICL_TEST_DATA_DIR
#error "ICL_TEST_DATA_DIR must be defined"
#endif

namespace icl_io_test {

using bytes = std::vector<unsigned char>;

inline std::string data_path(const std::string& name) { return std::string(ICL_TEST_DATA_DIR) + "io/" + name; }

/// The values that tests/data/make_io_fixtures.py wrote into the fixture files.
inline const icl_test::fixture_file& values() {
  static const icl_test::fixture_file f("io/io_values.txt");
  return f;
}

inline bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const std::string& path, const bytes& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  REQUIRE(out.good());
}

/// A fresh path in the temporary directory (removed by the caller or left for the OS).
inline std::string temp_path(const std::string& name) {
  return (std::string(P_tmpdir) + "/icl_io_test_" + std::to_string(::getpid()) + "_" + name);
}

inline void put_le(bytes& b, std::uint64_t value, int width) {
  for (int k = 0; k < width; ++k) b.push_back(static_cast<unsigned char>(value >> (8 * k)));
}

inline void set_le(bytes& b, std::size_t at, std::uint64_t value, int width) {
  for (int k = 0; k < width; ++k) b[at + static_cast<std::size_t>(k)] = static_cast<unsigned char>(value >> (8 * k));
}

inline std::uint64_t get_le(const bytes& b, std::size_t at, int width) {
  std::uint64_t v = 0;
  for (int k = width; k-- > 0;) v = (v << 8) | b[at + static_cast<std::size_t>(k)];
  return v;
}

/// An .npy image: magic, version major.0, the header text padded with spaces and ended by '\n'
/// so that the data starts at a multiple of 64, then `data`.
inline bytes make_npy(const std::string& header, const bytes& data, int major = 1) {
  bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(major), 0};
  const std::size_t preamble = major == 1 ? 10 : 12;
  std::string text = header;
  while ((preamble + text.size() + 1) % 64 != 0) text += ' ';
  text += '\n';
  put_le(b, text.size(), major == 1 ? 2 : 4);
  b.insert(b.end(), text.begin(), text.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

/// A .safetensors image: the 8-byte length, the header text padded to a multiple of 8, the data.
inline bytes make_safetensors(std::string header, const bytes& data) {
  while (header.size() % 8 != 0) header += ' ';
  bytes b;
  put_le(b, header.size(), 8);
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

inline bytes zeros(std::size_t n) { return bytes(n, 0); }

inline std::uint32_t crc_of(const bytes& b) {
  return static_cast<std::uint32_t>(crc32(0L, b.data(), static_cast<uInt>(b.size())));
}

inline bytes raw_deflate(const bytes& in) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  bytes out(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct zip_member {
  std::string name;
  bytes payload;
  int method = 0;  // 0 stored, 8 deflate
};

/// Offsets of the parts of a zip image made by make_zip, for the tests that corrupt them.
struct zip_layout {
  std::vector<std::size_t> local;    // local header of each member
  std::vector<std::size_t> central;  // central directory entry of each member
  std::size_t eocd = 0;
};

/// The fields a local header and a central directory entry share, from the compression method
/// to the length of the extra field (modification time and date 0, no extra field).
inline void put_entry_fields(bytes& out, const zip_member& m, const bytes& data) {
  put_le(out, static_cast<std::uint64_t>(m.method), 2);
  put_le(out, 0, 4);
  put_le(out, crc_of(m.payload), 4);
  put_le(out, data.size(), 4);
  put_le(out, m.payload.size(), 4);
  put_le(out, m.name.size(), 2);
  put_le(out, 0, 2);
}

/// A plain (not zip64) zip image of the members.
inline bytes make_zip(const std::vector<zip_member>& members, zip_layout* layout = nullptr) {
  bytes out, cd;
  zip_layout where;
  for (const auto& m : members) {
    const bytes data = m.method == 8 ? raw_deflate(m.payload) : m.payload;
    const std::size_t offset = out.size();
    where.local.push_back(offset);
    put_le(out, 0x04034b50, 4);
    put_le(out, 20, 2);
    put_le(out, 0, 2);
    put_entry_fields(out, m, data);
    out.insert(out.end(), m.name.begin(), m.name.end());
    out.insert(out.end(), data.begin(), data.end());
    where.central.push_back(cd.size());
    put_le(cd, 0x02014b50, 4);
    put_le(cd, 20, 2);
    put_le(cd, 20, 2);
    put_le(cd, 0, 2);
    put_entry_fields(cd, m, data);
    put_le(cd, 0, 2);
    put_le(cd, 0, 2);
    put_le(cd, 0, 2);
    put_le(cd, 0, 4);
    put_le(cd, offset, 4);
    cd.insert(cd.end(), m.name.begin(), m.name.end());
  }
  const std::size_t cd_offset = out.size();
  for (auto& c : where.central) c += cd_offset;
  out.insert(out.end(), cd.begin(), cd.end());
  where.eocd = out.size();
  put_le(out, 0x06054b50, 4);
  put_le(out, 0, 4);
  put_le(out, members.size(), 2);
  put_le(out, members.size(), 2);
  put_le(out, cd.size(), 4);
  put_le(out, cd_offset, 4);
  put_le(out, 0, 2);
  if (layout) *layout = where;
  return out;
}

/// Bytes of a float array (little-endian host).
template <class T>
bytes raw(const std::vector<T>& values) {
  bytes b(values.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), values.data(), b.size());
  return b;
}

/// Runs f and requires that it throws exactly E (not a subclass) with the message `message`.
template <class E, class F>
void require_throws_exactly(F&& f, const std::string& message) {
  bool thrown = false;
  try {
    f();
  } catch (const E& e) {
    thrown = true;
    CHECK(typeid(e) == typeid(E));
    CHECK(std::string(e.what()) == message);
  }
  REQUIRE(thrown);
}

/// Opening data_path(name), a file that does not exist, with Reader's constructor throws
/// icl::io::file_error "<path>: cannot open: No such file or directory".
template <class Reader>
void require_cannot_open(const std::string& name) {
  const std::string missing = data_path(name);
  require_throws_exactly<icl::io::file_error>([&] { Reader reader(missing); },
                                              missing + ": cannot open: No such file or directory");
}

/// True when p lies inside a mapping of the file whose path ends in `file_name`, per
/// /proc/self/maps (Linux). Lines: "start-end perms offset dev inode path".
inline bool in_file_mapping(const void* p, const std::string& file_name) {
  std::ifstream maps("/proc/self/maps");
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, path;
    in >> range >> perms >> offset >> dev >> inode >> path;
    const std::size_t dash = range.find('-');
    if (dash == std::string::npos) continue;
    const auto start = static_cast<std::uintptr_t>(std::stoull(range.substr(0, dash), nullptr, 16));
    const auto end = static_cast<std::uintptr_t>(std::stoull(range.substr(dash + 1), nullptr, 16));
    if (address >= start && address < end) {
      return path.size() >= file_name.size() && path.compare(path.size() - file_name.size(), file_name.size(), file_name) == 0;
    }
  }
  return false;
}

}  // namespace icl_io_test
