#ifndef ICL_IO_LOAD_HPP
#define ICL_IO_LOAD_HPP

/// One entry point for every reader: load("a.npy"), load("acts.npz:hidden"),
/// load("acts.safetensors:layers.3.out"). Includes npy.hpp, npz.hpp, safetensors.hpp and
/// dispatch.hpp (visit_float).
///
/// Reference syntax: PATH or PATH:NAME. PATH is the longest prefix before a ':' that ends in
/// ".npz", ".safetensors" or ".npy" (an .npy holds one array, so a NAME after it is an error);
/// NAME may hold ':' itself, and a reference with no such prefix is all PATH. The format comes
/// from the extension (.npy, .npz, .safetensors) or,
/// for any other extension, from the file's first bytes. A PATH without NAME for an archive or a
/// .safetensors file holding exactly one array gives that array; with several it is an error
/// that lists them. A relative PATH is resolved against base_dir when base_dir is not empty.

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "icl/io/array.hpp"
#include "icl/io/detail/mapped_file.hpp"
#include "icl/io/dispatch.hpp"
#include "icl/io/npy.hpp"
#include "icl/io/npz.hpp"
#include "icl/io/safetensors.hpp"

namespace icl::io {

/// A reference split into its parts (see the header comment).
struct reference_parts {
  std::string path;
  std::string member;  ///< empty when none was named
  bool has_member = false;
};

namespace detail {

inline bool ends_with(const std::string& s, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

enum class file_kind { npy, npz, safetensors };

inline file_kind kind_of(const std::string& path) {
  if (ends_with(path, ".npy")) return file_kind::npy;
  if (ends_with(path, ".npz")) return file_kind::npz;
  if (ends_with(path, ".safetensors")) return file_kind::safetensors;
  // Any other name: look at the first bytes.
  const auto file = map_file(path);
  if (file->size() >= 6 && std::memcmp(file->data(), "\x93NUMPY", 6) == 0) return file_kind::npy;
  if (file->size() >= 4 && std::memcmp(file->data(), "PK\x03\x04", 4) == 0) return file_kind::npz;
  return file_kind::safetensors;
}

/// The one array of an archive or file that holds exactly one; format_error listing them otherwise.
template <class Container>
array single_array(const Container& c, const std::string& path, const char* what) {
  const std::vector<std::string> names = c.names();
  if (names.size() == 1) return c.get(names.front());
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  throw_error<format_error>(path, "holds ", names.size(), " ", what, " (", all.empty() ? "none" : all,
                            "); name one as ", path, ":NAME");
}

}  // namespace detail

/// Splits "path:name" (see the header comment); base_dir is not applied.
inline reference_parts split_reference(const std::string& reference) {
  reference_parts out;
  for (std::size_t colon = reference.rfind(':'); colon != std::string::npos && colon > 0;
       colon = reference.rfind(':', colon - 1)) {
    const std::string head = reference.substr(0, colon);
    if (detail::ends_with(head, ".npz") || detail::ends_with(head, ".safetensors") || detail::ends_with(head, ".npy")) {
      out.path = head;
      out.member = reference.substr(colon + 1);
      out.has_member = true;
      return out;
    }
  }
  out.path = reference;
  return out;
}

/// Loads the array a reference names; see the header comment. Errors: icl::io::file_error for a
/// missing or unreadable file, icl::io::format_error for a malformed file, a missing member
/// ("<path>: no member 'x' (members: ...)") or a member named in an .npy reference.
inline array load(const std::string& reference, const std::string& base_dir = "") {
  reference_parts parts = split_reference(reference);
  if (parts.path.empty()) {
    throw_error<format_error>("icl::io::load", "empty file name in reference '", reference, "'");
  }
  if (!base_dir.empty() && std::filesystem::path(parts.path).is_relative()) {
    parts.path = (std::filesystem::path(base_dir) / parts.path).string();
  }
  switch (detail::kind_of(parts.path)) {
    case detail::file_kind::npy:
      if (parts.has_member)
        throw_error<format_error>(parts.path, "an .npy file holds one array; it has no member '", parts.member, "'");
      return read_npy(parts.path);
    case detail::file_kind::npz: {
      const npz_archive archive(parts.path);
      return parts.has_member ? archive.get(parts.member) : detail::single_array(archive, parts.path, "arrays");
    }
    case detail::file_kind::safetensors: {
      const safetensors_file file(parts.path);
      return parts.has_member ? file.get(parts.member) : detail::single_array(file, parts.path, "tensors");
    }
  }
  throw_error<format_error>(parts.path, "unknown file kind");
}

}  // namespace icl::io

#endif  // ICL_IO_LOAD_HPP
