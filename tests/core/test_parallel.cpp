// parallel_for and parallel_reduce: every index once, the exception of the lowest failing index
// reaches the caller, and sums that do not depend on the number of threads.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/error.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/random.hpp"

namespace {

// Runs f with `threads` OpenMP threads (a no-op setting without OpenMP), restoring the count.
template <class F>
void with_threads(int threads, F&& f) {
#if ICL_HAS_OPENMP
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  try {
    f();
  } catch (...) {
    omp_set_num_threads(saved);
    throw;
  }
  omp_set_num_threads(saved);
#else
  (void)threads;
  f();
#endif
}

// Terms of very different magnitudes and both signs, so that the sum depends on the order of
// the additions.
std::vector<double> awkward_terms(std::size_t count) {
  icl::counter_rng rng(2024, 0);
  std::vector<double> terms(count);
  for (auto& t : terms) {
    const double magnitude = std::ldexp(1.0, static_cast<int>(rng.uniform_below(60)) - 30);
    t = (rng.uniform01() - 0.5) * magnitude;
  }
  return terms;
}

double reduce_terms(const std::vector<double>& terms, std::size_t chunk_size) {
  return icl::detail::parallel_reduce(terms.size(), chunk_size, 0.0, [&](std::size_t first, std::size_t last) {
    double s = 0.0;
    for (std::size_t k = first; k < last; ++k) s += terms[k];
    return s;
  });
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

}  // namespace

TEST_CASE("max_threads", "[core][parallel]") {
#if ICL_HAS_OPENMP
  CHECK(icl::max_threads() == omp_get_max_threads());
#else
  CHECK(icl::max_threads() == 1);
#endif
}

TEST_CASE("parallel_for visits every index exactly once", "[core][parallel]") {
  for (int threads : {1, 2}) {
    with_threads(threads, [] {
      for (std::size_t begin : {std::size_t{0}, std::size_t{5}}) {
        for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{97}, std::size_t{1000}}) {
          const std::size_t end = begin + count;
          std::vector<std::atomic<int>> visits(end + 3);
          for (auto& v : visits) v = 0;
          icl::detail::parallel_for(begin, end, [&](std::size_t i) { visits[i].fetch_add(1); });
          INFO("begin " << begin << " count " << count);
          for (std::size_t i = 0; i < visits.size(); ++i) {
            INFO("index " << i);
            CHECK(visits[i].load() == (i >= begin && i < end ? 1 : 0));
          }
        }
      }
    });
  }
  // An empty or inverted range calls nothing.
  int calls = 0;
  icl::detail::parallel_for(10, 10, [&](std::size_t) { ++calls; });
  icl::detail::parallel_for(10, 3, [&](std::size_t) { ++calls; });
  CHECK(calls == 0);
}

TEST_CASE("parallel_for inside parallel_for still visits every pair once", "[core][parallel]") {
  with_threads(2, [] {
    constexpr std::size_t outer = 7, inner = 9;
    std::vector<std::atomic<int>> visits(outer * inner);
    for (auto& v : visits) v = 0;
    icl::detail::parallel_for(0, outer, [&](std::size_t i) {
      icl::detail::parallel_for(0, inner, [&](std::size_t j) { visits[i * inner + j].fetch_add(1); });
    });
    for (auto& v : visits) CHECK(v.load() == 1);
  });
}

TEST_CASE("parallel_for rethrows an exception from the body", "[core][parallel]") {
  for (int threads : {1, 2}) {
    INFO("threads " << threads);
    with_threads(threads, [] {
      std::atomic<int> calls{0};
      auto body = [&](std::size_t i) {
        calls.fetch_add(1);
        if (i == 37) throw std::runtime_error("failure at index 37");
      };
      REQUIRE_THROWS_AS(icl::detail::parallel_for(0, 100, body), std::runtime_error);
      REQUIRE_THROWS_WITH(icl::detail::parallel_for(0, 100, body), Catch::Contains("failure at index 37"));
      CHECK(calls.load() >= 2);

      // The exception type is preserved (here icl::invalid_argument, a std::invalid_argument).
      REQUIRE_THROWS_AS(icl::detail::parallel_for(0, 10,
                                                   [](std::size_t i) {
                                                     if (i % 3 == 2) {
                                                       icl::detail::throw_invalid("icl::test", "bad index ", i);
                                                     }
                                                   }),
                        icl::invalid_argument);
      // A reduction whose chunk throws also reports it.
      REQUIRE_THROWS_WITH(icl::detail::parallel_reduce(50, 4, 0.0,
                                                       [](std::size_t first, std::size_t) -> double {
                                                         if (first == 20) throw std::runtime_error("chunk 20");
                                                         return 1.0;
                                                       }),
                          Catch::Contains("chunk 20"));
    });
  }
}

TEST_CASE("every loop helper rethrows the error of the lowest failing index", "[core][parallel]") {
  // Indices 13, 40, 77 and 90 fail; 13 fails last in time (it sleeps first), so with several
  // threads the others have usually failed before it. The message of 13 must arrive every time.
  const auto body = [](std::size_t i) {
    if (i == 13) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      icl::detail::throw_invalid("icl::test", "index ", i);
    }
    if (i == 40 || i == 77 || i == 90) icl::detail::throw_invalid("icl::test", "index ", i);
  };
  const auto message_of = [](auto&& loop) -> std::string {
    try {
      loop();
    } catch (const icl::invalid_argument& e) {
      return e.what();
    }
    return "no exception";
  };
  for (int threads : {1, 2, 4}) {
    INFO("threads " << threads);
    with_threads(threads, [&] {
#if ICL_HAS_OPENMP
      std::atomic<int> team{0};
      icl::detail::parallel_for(0, 8, [&](std::size_t) { team = std::max(team.load(), omp_get_num_threads()); });
      CHECK(team.load() == threads);
#endif
      for (int repeat = 0; repeat < 5; ++repeat) {
        CHECK(message_of([&] { icl::detail::parallel_for(0, 100, body); }) == "icl::test: index 13");
        CHECK(message_of([&] { icl::detail::parallel_for(5, 100, body); }) == "icl::test: index 13");
        CHECK(message_of([&] { icl::detail::parallel_for(14, 100, body); }) == "icl::test: index 40");
        CHECK(message_of([&] { icl::detail::parallel_for_sized(0, 100, std::size_t{1} << 20, body); }) ==
              "icl::test: index 13");
        CHECK(message_of([&] { icl::detail::beside_blas_for(0, 100, std::size_t{1} << 20, body); }) ==
              "icl::test: index 13");
        // Reductions: the first failing chunk (chunks of 4: 13 is in the chunk starting at 12).
        const auto chunk_sum = [&](std::size_t first, std::size_t last) {
          for (std::size_t i = first; i < last; ++i) body(i);
          return 1.0;
        };
        CHECK(message_of([&] { icl::detail::parallel_reduce(100, 4, 0.0, chunk_sum); }) == "icl::test: index 13");
        CHECK(message_of([&] { icl::detail::beside_blas_reduce(100, 4, 0.0, chunk_sum); }) == "icl::test: index 13");
      }
      // The indices below the lowest failure all ran.
      std::vector<std::atomic<int>> ran(100);
      for (auto& r : ran) r = 0;
      CHECK(message_of([&] {
              icl::detail::parallel_for(0, 100, [&](std::size_t i) {
                ran[i] = 1;
                body(i);
              });
            }) == "icl::test: index 13");
      for (std::size_t i = 0; i <= 13; ++i) CHECK(ran[i].load() == 1);
    });
  }
}

TEST_CASE("parallel_reduce adds the chunks in chunk order", "[core][parallel]") {
  const std::vector<double> terms = awkward_terms(10007);
  for (std::size_t chunk_size : {std::size_t{1}, std::size_t{64}, std::size_t{1000}, std::size_t{20000}}) {
    // The same result as a serial sum of per-chunk sums, bit for bit.
    double expected = 0.0;
    for (std::size_t first = 0; first < terms.size(); first += chunk_size) {
      double s = 0.0;
      const std::size_t last = std::min(first + chunk_size, terms.size());
      for (std::size_t k = first; k < last; ++k) s += terms[k];
      expected += s;
    }
    INFO("chunk_size " << chunk_size);
    CHECK(same_bits(reduce_terms(terms, chunk_size), expected));
  }
  // Degenerate arguments: no elements gives the zero; chunk size 0 means 1.
  CHECK(icl::detail::parallel_reduce(0, 8, 3.5, [](std::size_t, std::size_t) { return 1.0; }) == 3.5);
  CHECK(same_bits(reduce_terms(terms, 0), reduce_terms(terms, 1)));
  // Integer reductions work as well.
  const auto count = icl::detail::parallel_reduce(1000, 7, std::uint64_t{0},
                                                  [](std::size_t first, std::size_t last) {
                                                    std::uint64_t s = 0;
                                                    for (std::size_t k = first; k < last; ++k) s += k;
                                                    return s;
                                                  });
  CHECK(count == 999u * 1000u / 2u);
}

TEST_CASE("parallel_reduce is bit-identical at 1 and 2 threads", "[core][parallel]") {
  const std::vector<double> terms = awkward_terms(100003);
  for (std::size_t chunk_size : {std::size_t{1}, std::size_t{256}, std::size_t{4096}}) {
    double one = 0.0, two = 0.0, two_again = 0.0;
    with_threads(1, [&] { one = reduce_terms(terms, chunk_size); });
    with_threads(2, [&] { two = reduce_terms(terms, chunk_size); });
    with_threads(2, [&] { two_again = reduce_terms(terms, chunk_size); });
    INFO("chunk_size " << chunk_size << ": " << one << " vs " << two);
    CHECK(same_bits(one, two));
    CHECK(same_bits(two, two_again));
  }
#if ICL_HAS_OPENMP
  // The loop really runs on a team of two threads when asked to (otherwise the check above
  // proves little).
  std::atomic<int> team_size{0};
  with_threads(2, [&] {
    icl::detail::parallel_for(0, 64, [&](std::size_t) { team_size = omp_get_num_threads(); });
  });
  CHECK(team_size.load() == 2);
#endif
}
