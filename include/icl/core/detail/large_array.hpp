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
/// operator new.
///
/// Fresh memory can cost far more than its faults: on that virtual machine the kernel returns
/// free memory to the hypervisor (free page reporting), and a call that maps memory the host has
/// taken back waits for the host to supply it again: in 11 of 14 new processes one of the first
/// seven spearman calls (m = 2·10⁶) took 0.13–0.48 s instead of 0.05–0.08 s, with the same
/// number of faults. So a mapping is not unmapped when its array is
/// freed: it is advised with madvise(MADV_FREE) and kept, at most 8 of them per process, for the
/// next array of at most its size and more than half of it (released_mappings). MADV_FREE lets
/// the kernel take the pages back whenever it needs memory (a later array then gets zeroed pages,
/// as from a fresh mapping); until then they stay the process's and cost no fault when reused.
/// The kept mappings count in the process's resident memory until the kernel reclaims them (for
/// spearman of m = 2·10⁶ values, four of 16 MB).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
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

#if defined(__linux__) && defined(MADV_HUGEPAGE) && defined(MADV_FREE)
/// The mappings of freed large arrays, kept for the next ones (the header comment): at most
/// `capacity`, guarded by `mutex` (arrays are made and freed on several threads at once).
struct released_mappings {
  static constexpr std::size_t capacity = 8;
  std::mutex mutex;
  large_block block[capacity];
  std::size_t count = 0;
};

/// The process's released mappings; never destroyed, so that arrays freed by destructors of
/// static objects at exit still find it.
inline released_mappings& kept_mappings() {
  static released_mappings* const kept = new released_mappings;
  return *kept;
}

/// Takes a kept mapping of at least `length` bytes and at most twice that (the smallest such)
/// into `out`; false when there is none.
inline bool take_kept_mapping(std::size_t length, large_block& out) {
  released_mappings& kept = kept_mappings();
  const std::lock_guard<std::mutex> lock(kept.mutex);
  std::size_t best = kept.count;
  for (std::size_t i = 0; i < kept.count; ++i) {
    const std::size_t size = kept.block[i].mapped;
    if (size >= length && size / 2 <= length && (best == kept.count || size < kept.block[best].mapped)) best = i;
  }
  if (best == kept.count) return false;
  out = kept.block[best];
  kept.block[best] = kept.block[--kept.count];
  return true;
}

/// Keeps a freed mapping after madvise(MADV_FREE); when 8 are kept already, the smallest of the
/// nine is unmapped. A mapping the kernel will not advise (MADV_FREE needs Linux 4.5) is
/// unmapped.
inline void keep_mapping(const large_block& block) noexcept {
  large_block drop = block;
  if (::madvise(block.data, block.mapped, MADV_FREE) == 0) {
    released_mappings& kept = kept_mappings();
    const std::lock_guard<std::mutex> lock(kept.mutex);
    if (kept.count < released_mappings::capacity) {
      kept.block[kept.count++] = block;
      return;
    }
    std::size_t smallest = 0;
    for (std::size_t i = 1; i < kept.count; ++i) {
      if (kept.block[i].mapped < kept.block[smallest].mapped) smallest = i;
    }
    if (kept.block[smallest].mapped < block.mapped) {
      drop = kept.block[smallest];
      kept.block[smallest] = block;
    }
  }
  ::munmap(drop.data, drop.mapped);
}
#endif

/// Allocates `bytes` bytes: from huge_page_bytes on (Linux), an anonymous mapping whose start is
/// 2 MiB aligned, advised with MADV_HUGEPAGE — a kept one when there is one that fits; otherwise,
/// or when the mapping fails, operator new aligned to large_array_alignment.
/// Throws std::bad_alloc when no memory is left.
inline large_block allocate_large_block(std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= huge_page_bytes && bytes <= std::numeric_limits<std::size_t>::max() / 2) {
    // Whole huge pages: the last one partly used rather than its tail in small pages (a 16 MB
    // buffer would otherwise take 322 small faults beside its 7 huge ones). Untouched memory is
    // never resident, so this costs under 2 MiB per buffer.
    const std::size_t length = (bytes + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
#if defined(MADV_FREE)
    large_block kept;
    if (take_kept_mapping(length, kept)) return kept;
#endif
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

/// Returns storage obtained from allocate_large_block: a mapping is kept for the next array
/// (keep_mapping) where MADV_FREE is known, else unmapped.
inline void release_large_block(const large_block& block) noexcept {
  if (block.data == nullptr) return;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (block.mapped != 0) {
#if defined(MADV_FREE)
    keep_mapping(block);
#else
    ::munmap(block.data, block.mapped);
#endif
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
