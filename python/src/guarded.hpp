// A library object that Python code may share between threads (an accumulator, a collector):
// every member call runs with the GIL released and the object's lock held, taken in that order,
// so that a thread waiting for the lock never holds the GIL.
#ifndef ICL_PY_GUARDED_HPP
#define ICL_PY_GUARDED_HPP

#include <functional>
#include <mutex>
#include <type_traits>
#include <utility>

#include "bindings.hpp"

namespace icl_py {

template <class T>
class guarded {
 public:
  template <class... Args, class = std::enable_if_t<std::is_constructible_v<T, Args&&...>>>
  explicit guarded(Args&&... args) : value_(std::forward<Args>(args)...) {}
  guarded(const guarded&) = delete;
  guarded& operator=(const guarded&) = delete;

  /// f(value) with the GIL released and the lock held; f must touch no Python object.
  template <class F>
  decltype(auto) run(F&& f) {
    nb::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex_);
    return f(value_);
  }

  /// f(value, other's value) with both locks held (`function` names the caller when other is
  /// this object).
  template <class F>
  decltype(auto) run(guarded& other, const char* function, F&& f) {
    if (&other == this) icl::detail::throw_invalid(function, "cannot merge an object with itself");
    nb::gil_scoped_release release;
    std::scoped_lock lock(mutex_, other.mutex_);
    return f(value_, other.value_);
  }

 private:
  T value_;
  std::mutex mutex_;
};

/// A Python method of guarded<T> calling f(T&) under the guard, e.g. std::mem_fn(&T::member).
template <class T, class F>
auto guarded_method(F f) {
  return [f](guarded<T>& g) { return g.run([&](T& x) { return f(x); }); };
}

}  // namespace icl_py

#endif  // ICL_PY_GUARDED_HPP
