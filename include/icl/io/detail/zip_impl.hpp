#ifndef ICL_IO_DETAIL_ZIP_IMPL_HPP
#define ICL_IO_DETAIL_ZIP_IMPL_HPP

/// The zip container of .npz files: the end-of-central-directory record (and its zip64 form),
/// the central directory, local headers, and inflation of deflate members with zlib.

#include <climits>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <zlib.h>

#include "icl/io/array.hpp"
#include "icl/io/detail/bytes.hpp"

namespace icl::io::detail {

struct zip_entry {
  std::string name;
  std::uint16_t flags = 0;
  std::uint16_t method = 0;
  std::uint32_t crc = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
  std::uint64_t local_offset = 0;
};

constexpr std::uint32_t zip_eocd_signature = 0x06054b50;
constexpr std::uint32_t zip64_locator_signature = 0x07064b50;
constexpr std::uint32_t zip64_eocd_signature = 0x06064b50;
constexpr std::uint32_t zip_central_signature = 0x02014b50;
constexpr std::uint32_t zip_local_signature = 0x04034b50;

/// Reads the central directory of a zip image.
inline std::vector<zip_entry> read_zip_directory(const unsigned char* bytes, std::size_t size,
                                                 const std::string& source) {
  if (size >= 4 && read_le32(bytes) != zip_local_signature && read_le32(bytes) != zip_eocd_signature) {
    throw_error<format_error>(source, "not an .npz file (wrong magic; expected a zip archive, PK\\x03\\x04)");
  }
  if (size < 22) throw_error<format_error>(source, "not an .npz file (", size, " bytes, too short for a zip archive)");
  // The end-of-central-directory record: the last 22 bytes, or earlier when a comment follows.
  std::size_t eocd = size - 22;
  const std::size_t lowest = size - 22 > 65535 ? size - 22 - 65535 : 0;
  for (;;) {
    if (read_le32(bytes + eocd) == zip_eocd_signature && read_le16(bytes + eocd + 20) <= size - eocd - 22) break;
    if (eocd == lowest)
      throw_error<format_error>(source, "truncated or not a zip archive (no end-of-central-directory record)");
    --eocd;
  }
  std::uint64_t disk = read_le16(bytes + eocd + 4);
  std::uint64_t cd_disk = read_le16(bytes + eocd + 6);
  std::uint64_t entries_here = read_le16(bytes + eocd + 8);
  std::uint64_t entries = read_le16(bytes + eocd + 10);
  std::uint64_t cd_size = read_le32(bytes + eocd + 12);
  std::uint64_t cd_offset = read_le32(bytes + eocd + 16);

  // zip64: a locator right before the record points at the zip64 end-of-central-directory.
  if (eocd >= 20 && read_le32(bytes + eocd - 20) == zip64_locator_signature) {
    const std::uint64_t at = read_le64(bytes + eocd - 20 + 8);
    if (!fits(at, 56, size) || read_le32(bytes + at) != zip64_eocd_signature) {
      throw_error<format_error>(source, "the zip64 end-of-central-directory record is missing or out of range (offset ",
                                at, ")");
    }
    const unsigned char* z = bytes + at;
    disk = read_le32(z + 16);
    cd_disk = read_le32(z + 20);
    entries_here = read_le64(z + 24);
    entries = read_le64(z + 32);
    cd_size = read_le64(z + 40);
    cd_offset = read_le64(z + 48);
  }
  if (disk != 0 || cd_disk != 0 || entries_here != entries)
    throw_error<format_error>(source, "multi-disk zip archives are not supported");
  if (!fits(cd_offset, cd_size, size)) {
    throw_error<format_error>(source, "the central directory (offset ", cd_offset, ", ", cd_size,
                              " bytes) runs past the end of the file (", size, " bytes)");
  }
  if (entries > cd_size / 46) {
    throw_error<format_error>(source, "the zip directory claims ", entries, " entries, more than its ", cd_size,
                              " bytes can hold");
  }

  std::vector<zip_entry> out;
  out.reserve(static_cast<std::size_t>(entries));
  const unsigned char* p = bytes + cd_offset;
  const unsigned char* const end = p + cd_size;
  for (std::uint64_t k = 0; k < entries; ++k) {
    if (end - p < 46 || read_le32(p) != zip_central_signature) {
      throw_error<format_error>(source, "zip directory entry ", k, " is truncated or has a bad signature");
    }
    zip_entry e;
    e.flags = read_le16(p + 8);
    e.method = read_le16(p + 10);
    e.crc = read_le32(p + 16);
    e.compressed_size = read_le32(p + 20);
    e.uncompressed_size = read_le32(p + 24);
    const std::size_t name_length = read_le16(p + 28);
    const std::size_t extra_length = read_le16(p + 30);
    const std::size_t comment_length = read_le16(p + 32);
    const std::uint32_t start_disk = read_le16(p + 34);
    e.local_offset = read_le32(p + 42);
    if (static_cast<std::size_t>(end - p) - 46 < name_length + extra_length + comment_length) {
      throw_error<format_error>(source, "zip directory entry ", k, " runs past the end of the directory");
    }
    e.name.assign(reinterpret_cast<const char*>(p + 46), name_length);
    // zip64 extended information: the 64-bit values of the fields saturated at 0xFFFFFFFF.
    const unsigned char* x = p + 46 + name_length;
    const unsigned char* const x_end = x + extra_length;
    while (x_end - x >= 4) {
      const std::uint16_t id = read_le16(x);
      const std::size_t length = read_le16(x + 2);
      if (static_cast<std::size_t>(x_end - x) - 4 < length) {
        throw_error<format_error>(source, "zip directory entry '", e.name, "' has an extra field past its end");
      }
      if (id == 0x0001) {
        const unsigned char* v = x + 4;
        const unsigned char* const v_end = v + length;
        auto take = [&](std::uint64_t& field) {
          if (v_end - v < 8)
            throw_error<format_error>(source, "zip directory entry '", e.name, "' has a short zip64 field");
          field = read_le64(v);
          v += 8;
        };
        if (e.uncompressed_size == 0xFFFFFFFFu) take(e.uncompressed_size);
        if (e.compressed_size == 0xFFFFFFFFu) take(e.compressed_size);
        if (e.local_offset == 0xFFFFFFFFu) take(e.local_offset);
      }
      x += 4 + length;
    }
    if (start_disk != 0 && start_disk != 0xFFFF)
      throw_error<format_error>(source, "multi-disk zip archives are not supported");
    p += 46 + name_length + extra_length + comment_length;
    out.push_back(std::move(e));
  }
  return out;
}

/// The offset of the first data byte of an entry, after checking its local header and that its
/// compressed bytes lie inside the file.
inline std::uint64_t zip_data_offset(const unsigned char* bytes, std::size_t size, const zip_entry& e,
                                     const std::string& source) {
  if (!fits(e.local_offset, 30, size) || read_le32(bytes + e.local_offset) != zip_local_signature) {
    throw_error<format_error>(source, "the local zip header at offset ", e.local_offset,
                              " is out of range or has a bad signature");
  }
  const unsigned char* h = bytes + e.local_offset;
  const std::uint64_t data = e.local_offset + 30 + read_le16(h + 26) + read_le16(h + 28);
  if (!fits(data, e.compressed_size, size)) {
    throw_error<format_error>(source, "truncated: the member's ", e.compressed_size, " bytes at offset ", data,
                              " run past the end of the file (", size, " bytes)");
  }
  return data;
}

/// Inflates a raw deflate stream into an owned aligned buffer of exactly `expected` bytes,
/// checking the CRC-32.
inline std::shared_ptr<unsigned char> inflate_member(const unsigned char* in, std::uint64_t in_size,
                                                     std::uint64_t expected, std::uint32_t crc,
                                                     const std::string& source) {
  // Deflate expands by at most 1032:1; a larger claim is a lie, not a reason to allocate.
  if (expected / 1032 > in_size + 1) {
    throw_error<format_error>(source, "the zip directory claims ", expected, " bytes inflated from ", in_size,
                              " compressed bytes, more than deflate can produce");
  }
  if (expected > std::numeric_limits<std::size_t>::max())
    throw_error<format_error>(source, "the member is too large for this machine");
  auto out = allocate_aligned(static_cast<std::size_t>(expected));
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw_error<format_error>(source, "zlib inflateInit2 failed");
  std::uint64_t in_left = in_size, out_done = 0;
  const unsigned char* next_in = in;
  int status = Z_OK;
  for (;;) {
    if (zs.avail_in == 0 && in_left > 0) {
      const auto chunk = static_cast<uInt>(in_left < UINT_MAX ? in_left : UINT_MAX);
      zs.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(next_in));
      zs.avail_in = chunk;
      next_in += chunk;
      in_left -= chunk;
    }
    const std::uint64_t out_left = expected - out_done;
    // One spare byte of room (beyond the claim) detects a stream that inflates to more.
    unsigned char spare = 0;
    if (out_left > 0) {
      const auto chunk = static_cast<uInt>(out_left < UINT_MAX ? out_left : UINT_MAX);
      zs.next_out = reinterpret_cast<Bytef*>(out.get() + out_done);
      zs.avail_out = chunk;
    } else {
      zs.next_out = reinterpret_cast<Bytef*>(&spare);
      zs.avail_out = 1;
    }
    const uInt before = zs.avail_out;
    status = inflate(&zs, Z_NO_FLUSH);
    const uInt produced = before - zs.avail_out;
    if (out_left == 0 && produced > 0) {
      inflateEnd(&zs);
      throw_error<format_error>(source, "the compressed member inflates to more than the ", expected,
                                " bytes its zip entry declares");
    }
    out_done += produced;
    if (status == Z_STREAM_END) break;
    if (status == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
      inflateEnd(&zs);
      throw_error<format_error>(source, "truncated: the compressed member ends before its deflate stream does");
    }
    if (status != Z_OK && status != Z_BUF_ERROR) {
      const std::string message = zs.msg != nullptr ? zs.msg : "zlib error";
      inflateEnd(&zs);
      throw_error<format_error>(source, "corrupt compressed member (", message, ")");
    }
  }
  inflateEnd(&zs);
  if (out_done != expected) {
    throw_error<format_error>(source, "the compressed member inflates to ", out_done, " bytes, its zip entry declares ",
                              expected);
  }
  uLong check = crc32(0L, Z_NULL, 0);
  for (std::uint64_t done = 0; done < expected;) {
    const auto chunk = static_cast<uInt>(expected - done < UINT_MAX ? expected - done : UINT_MAX);
    check = crc32(check, reinterpret_cast<const Bytef*>(out.get() + done), chunk);
    done += chunk;
  }
  if (static_cast<std::uint32_t>(check) != crc)
    throw_error<format_error>(source, "CRC-32 mismatch: the compressed member is corrupt");
  return out;
}

}  // namespace icl::io::detail

#endif  // ICL_IO_DETAIL_ZIP_IMPL_HPP
