#ifndef ICL_CORE_DETAIL_LARGE_ARRAY_HPP
#define ICL_CORE_DETAIL_LARGE_ARRAY_HPP

/// Uninitialised arrays for the large scratch buffers of the rank statistics (the radix sort's
/// two buffers per vector, Kendall's rank sequences): tens of MB that are written before they are
/// read, and freed at the end of the call.
///
/// Fresh memory costs a page fault on its first touch. With 4 KiB pages a 16 MB buffer takes
/// 4096 of them; on the virtual machine of docs/benchmarks.md (1.2–2 µs a fault) touching a
/// fresh 16 MB took 4.9 ms with small pages and 0.7–1.1 ms with huge ones. On Linux a buffer of
/// at least 2 MiB is therefore mapped on its own, 2 MiB aligned, and advised with
/// madvise(MADV_HUGEPAGE): where transparent huge pages are enabled (`always` or `madvise` in
/// /sys/kernel/mm/transparent_hugepage/enabled), its first touch takes one fault per 2 MiB, and
/// its random writes (the radix scatter, the rank scatter) miss the TLB far less. The advice is
/// only a hint: where huge pages are off or none is free, the kernel backs the mapping with small
/// pages and nothing else changes. Elsewhere, and for smaller buffers, the storage comes from
/// operator new. Nothing is kept between calls: a buffer is unmapped when it is freed.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>

#include "icl/config.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace icl::detail {

/// The huge page size of x86-64 and of AArch64 with 4 KiB base pages.
inline constexpr std::size_t huge_page_bytes = std::size_t{1} << 21;

/// The alignment of every large_array: a cache line (the radix sort writes whole lines).
inline constexpr std::size_t large_array_alignment = 64;

/// Storage of `bytes` bytes (bytes > 0) and how it was obtained: `mapped` is the length of an
/// own mapping (release with munmap), 0 for operator new.
struct large_block {
  void* data = nullptr;
  std::size_t mapped = 0;
};

/// Allocates `bytes` bytes: from huge_page_bytes on (Linux), an anonymous mapping whose start is
/// 2 MiB aligned, advised with MADV_HUGEPAGE; otherwise, or when the mapping fails, operator new
/// aligned to large_array_alignment.
/// Throws std::bad_alloc when no memory is left.
inline large_block allocate_large_block(std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= huge_page_bytes && bytes <= std::numeric_limits<std::size_t>::max() / 2) {
    // Whole huge pages: the last one partly used rather than its tail in small pages (a 16 MB
    // buffer would otherwise take 322 small faults beside its 7 huge ones). Untouched memory is
    // never resident, so this costs under 2 MiB per buffer.
    const std::size_t length = (bytes + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
    // Map one huge page more than needed and unmap the unaligned head and the rest of the tail.
    void* raw = ::mmap(nullptr, length + huge_page_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw != MAP_FAILED) {
      char* const start = static_cast<char*>(raw);
      const std::size_t misalignment = reinterpret_cast<std::uintptr_t>(start) % huge_page_bytes;
      const std::size_t head = misalignment == 0 ? 0 : huge_page_bytes - misalignment;
      char* const aligned = start + head;
      if (head != 0) ::munmap(start, head);
      if (huge_page_bytes - head != 0) ::munmap(aligned + length, huge_page_bytes - head);
      ::madvise(aligned, length, MADV_HUGEPAGE);  // a hint: ignored where huge pages are off
      return {aligned, length};
    }
  }
#endif
  return {::operator new(bytes, std::align_val_t{large_array_alignment}), 0};
}

/// Returns storage obtained from allocate_large_block.
inline void release_large_block(const large_block& block) noexcept {
  if (block.data == nullptr) return;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (block.mapped != 0) {
    ::munmap(block.data, block.mapped);
    return;
  }
#endif
  ::operator delete(block.data, std::align_val_t{large_array_alignment});
}

/// An owning array of trivially copyable T whose elements are NOT initialised: each must be
/// written before it is read. Storage from allocate_large_block. resize() keeps the elements only
/// while the size stays within the capacity; growing beyond it drops them (the users write every
/// element after resizing). Move-only; swap() exchanges the storage, as std::vector's does.
template <class T>
class large_array {
  static_assert(std::is_trivially_copyable<T>::value && std::is_trivially_destructible<T>::value,
                "icl::detail::large_array holds trivially copyable values only");

 public:
  large_array() = default;
  explicit large_array(std::size_t size) { resize(size); }
  large_array(const large_array&) = delete;
  large_array& operator=(const large_array&) = delete;
  large_array(large_array&& other) noexcept { swap(other); }
  large_array& operator=(large_array&& other) noexcept {
    large_array(std::move(other)).swap(*this);
    return *this;
  }
  ~large_array() { release_large_block(block_); }

  /// Makes the size `size`: within the capacity the elements are kept, beyond it new
  /// (uninitialised) storage replaces the old.
  void resize(std::size_t size) {
    if (size > capacity_) {
      if (size > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_alloc();
      const large_block fresh = allocate_large_block(size * sizeof(T));
      release_large_block(block_);
      block_ = fresh;
      capacity_ = size;
    }
    size_ = size;
  }

  void swap(large_array& other) noexcept {
    std::swap(block_, other.block_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T* data() noexcept { return static_cast<T*>(block_.data); }
  const T* data() const noexcept { return static_cast<const T*>(block_.data); }
  T& operator[](std::size_t i) noexcept { return data()[i]; }
  const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  T* begin() noexcept { return data(); }
  T* end() noexcept { return data() + size_; }
  const T* begin() const noexcept { return data(); }
  const T* end() const noexcept { return data() + size_; }

 private:
  large_block block_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace icl::detail

#endif  // ICL_CORE_DETAIL_LARGE_ARRAY_HPP
