#ifndef ICL_IO_DETAIL_MAPPED_FILE_HPP
#define ICL_IO_DETAIL_MAPPED_FILE_HPP

/// A whole file mapped read-only into memory (POSIX mmap), or read into an owned buffer where
/// mmap is not available. Shared ownership: every array handed out holds a shared_ptr to it.

#include <cerrno>
#include <cstddef>
#include <memory>
#include <string>
#include <system_error>

#include "icl/io/array.hpp"

#if defined(__unix__) || defined(__APPLE__)
#define ICL_IO_HAVE_MMAP 1
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#else
#include <fstream>
#endif

namespace icl::io::detail {

class mapped_file {
 public:
  /// Maps `path`; file_error naming the path when it cannot be opened, is not a regular file or
  /// cannot be mapped.
  explicit mapped_file(const std::string& path) {
#ifdef ICL_IO_HAVE_MMAP
    int fd = -1;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw_error<file_error>(path, "cannot open: ", system_reason(errno));
    struct ::stat st {};
    if (::fstat(fd, &st) != 0) {
      const int e = errno;
      ::close(fd);
      throw_error<file_error>(path, "cannot inspect: ", system_reason(e));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      throw_error<file_error>(path, "not a regular file");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        const int e = errno;
        ::close(fd);
        throw_error<file_error>(path, "cannot map: ", system_reason(e));
      }
      data_ = static_cast<const unsigned char*>(p);
    }
    ::close(fd);
#else
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw_error<file_error>(path, "cannot open");
    const std::streamoff end = in.tellg();
    if (end < 0) throw_error<file_error>(path, "cannot inspect");
    size_ = static_cast<std::size_t>(end);
    buffer_ = allocate_aligned(size_);
    in.seekg(0);
    if (size_ > 0 && !in.read(reinterpret_cast<char*>(buffer_.get()), static_cast<std::streamsize>(size_))) {
      throw_error<file_error>(path, "cannot read");
    }
    data_ = buffer_.get();
#endif
  }

  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;

  ~mapped_file() {
#ifdef ICL_IO_HAVE_MMAP
    if (data_ != nullptr) ::munmap(const_cast<unsigned char*>(data_), size_);
#endif
  }

  /// The file's bytes (nullptr for an empty file).
  const unsigned char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  /// The system's text for an errno value ("No such file or directory").
  static std::string system_reason(int error_number) { return std::generic_category().message(error_number); }

  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
#ifndef ICL_IO_HAVE_MMAP
  std::shared_ptr<unsigned char> buffer_;
#endif
};

/// Maps a file with shared ownership.
inline std::shared_ptr<const mapped_file> map_file(const std::string& path) {
  return std::make_shared<const mapped_file>(path);
}

/// The bytes an archive reader parses and hands out views of: a file mapping, which every array
/// taken from it shares, or a caller's buffer (no owner: the caller keeps it alive).
struct byte_image {
  const unsigned char* bytes = nullptr;
  std::size_t size = 0;
  std::shared_ptr<const void> owner;
  std::string source;  ///< the path, or the name given to the parse_* function
  io::storage where = storage::external;
};

/// The file at `path`, mapped.
inline byte_image mapped_image(const std::string& path) {
  auto file = map_file(path);
  byte_image image;
  image.bytes = file->data();
  image.size = file->size();
  image.owner = std::move(file);
  image.source = path;
  image.where = storage::mapped;
  return image;
}

/// A caller's buffer; format_error for a null pointer with a nonzero size.
inline byte_image external_image(const unsigned char* bytes, std::size_t size, const std::string& source) {
  if (bytes == nullptr && size != 0) throw_error<format_error>(source, "null buffer of ", size, " bytes");
  byte_image image;
  image.bytes = bytes;
  image.size = size;
  image.source = source;
  return image;
}

/// "a, b, c" — or "none" for no names — for the messages that list what a file holds.
template <class Names>
std::string joined_names(const Names& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace icl::io::detail

#endif  // ICL_IO_DETAIL_MAPPED_FILE_HPP
