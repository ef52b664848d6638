// The device comparison's and permutation test's arithmetic (icl/cuda/detail/compare_terms.hpp,
// permutation_index.hpp, ranks.hpp, compare_results.hpp) run on the CPU over the kernels' index
// space — the grid-stride reductions with their block trees, the ranks from a sort of (value,
// position) and the two scans, the permuted sums per (chunk, thread), the permutations drawn on
// the host — and compared with icl::rsa::compare and icl::rsa::permutation_test: values, null
// distributions, p-values and the errors with their messages.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "icl/cuda/detail/compare_results.hpp"
#include "icl/cuda/detail/compare_terms.hpp"
#include "icl/cuda/detail/permutation_index.hpp"
#include "icl/cuda/detail/ranks.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/inference.hpp"

namespace {

namespace device = icl::detail::device;
using icl::rsa::comparison;

constexpr const char* fn = "icl::rsa::compare";  // the CPU's name: messages compare equal

/// A grid-stride reduction over m positions as the kernels run it: each block's threads stride
/// over the grid, merge by a fixed tree, and the blocks' values are merged in order.
template <class A, class Add, class Merge>
A grid_reduce(std::size_t m, const A& empty, Add add, Merge merge) {
  const unsigned blocks = device::reduction_blocks(m), threads = device::reduction_threads;
  A total = empty;
  for (unsigned block = 0; block < blocks; ++block) {
    std::vector<A> shared(threads, empty);
    for (unsigned t = 0; t < threads; ++t) {
      for (std::size_t k = std::size_t{block} * threads + t; k < m; k += std::size_t{blocks} * threads) {
        add(shared[t], k);
      }
    }
    for (unsigned s = threads / 2; s > 0; s /= 2) {
      for (unsigned t = 0; t < s; ++t) merge(shared[t], shared[t + s]);
    }
    if (block == 0) {
      total = shared[0];
    } else {
      merge(total, shared[0]);
    }
  }
  return total;
}

/// The rank kernels on x: a stable sort of (value, position) as the radix sort gives, the
/// candidates (ends reversed), a max-scan and a min-scan, the scatter of the centred ranks.
void centered_ranks_in_place(std::vector<double>& x) {
  const std::size_t m = x.size();
  std::vector<std::uint32_t> position(m);
  std::iota(position.begin(), position.end(), 0U);
  std::stable_sort(position.begin(), position.end(), [&](std::uint32_t p, std::uint32_t q) { return x[p] < x[q]; });
  std::vector<double> sorted(m);
  for (std::size_t u = 0; u < m; ++u) sorted[u] = x[position[u]];
  std::vector<std::uint32_t> first(m), last_reversed(m);
  for (std::size_t u = 0; u < m; ++u) {
    first[u] = static_cast<std::uint32_t>(device::run_first_candidate(sorted.data(), u));
    last_reversed[m - 1 - u] = static_cast<std::uint32_t>(device::run_last_candidate(sorted.data(), m, u));
  }
  for (std::size_t u = 1; u < m; ++u) {
    first[u] = std::max(first[u], first[u - 1]);
    last_reversed[u] = std::min(last_reversed[u], last_reversed[u - 1]);
  }
  for (std::size_t u = 0; u < m; ++u) {
    device::scatter_centered_rank(position.data(), u, first[u], last_reversed[m - 1 - u], m, x.data());
  }
}

/// The whitened_cosine kernels on x and y (condensed, n conditions): the rows' means, the
/// diagonal thread, G's upper triangles in place; the diagonals go to xd and yd.
void second_moments_in_place(device::compare_summary& s, std::size_t n, std::vector<double>& x, std::vector<double>& y,
                             std::vector<double>& xd, std::vector<double>& yd) {
  std::vector<double> rows_a(n), rows_b(n);
  double sum_a = 0.0, sum_b = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    rows_a[i] = device::condensed_row_mean(x.data(), n, i);
    rows_b[i] = device::condensed_row_mean(y.data(), n, i);
    sum_a += rows_a[i];
    sum_b += rows_b[i];
  }
  s.grand_a = device::mean_of(sum_a, n);
  s.grand_b = device::mean_of(sum_b, n);
  xd.resize(n);
  yd.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    xd[i] = device::second_moment_diagonal(rows_a[i], s.grand_a);
    yd[i] = device::second_moment_diagonal(rows_b[i], s.grand_b);
    device::sums_add(s.diagonal, xd[i], yd[i]);
  }
  for (std::size_t k = 0; k < x.size(); ++k) {
    const device::pair_cursor c = device::pair_at(n, k);
    x[k] = device::second_moment_upper(x[k], rows_a[c.i], rows_a[c.j], s.grand_a);
    y[k] = device::second_moment_upper(y[k], rows_b[c.i], rows_b[c.j], s.grand_b);
  }
}

/// queue_compare on the CPU: the summary, with x and y left holding the terms (and xd, yd G's
/// diagonals for whitened_cosine, of n conditions).
device::compare_summary run_compare(device::compare_kind kind, std::vector<double>& x, std::vector<double>& y,
                                    std::size_t n, std::vector<double>& xd, std::vector<double>& yd) {
  const std::size_t m = x.size();
  device::compare_summary s{};
  s.scan = grid_reduce(
      m, device::empty_scan(m),
      [&](device::pair_scan& a, std::size_t k) { device::scan_add(a, k, x[k], y[k], x[0], y[0]); },
      [](device::pair_scan& a, const device::pair_scan& b) { device::scan_merge(a, b); });
  s.a0 = x[0];
  s.b0 = y[0];
  s.bad_a_value = s.scan.bad_a < m ? x[s.scan.bad_a] : 0.0;
  s.bad_b_value = s.scan.bad_b < m ? y[s.scan.bad_b] : 0.0;
  s.diagonal = device::empty_sums();
  if (device::compares_ranks(kind)) {
    centered_ranks_in_place(x);
    centered_ranks_in_place(y);
  } else if (kind == device::compare_kind::whitened_cosine) {
    second_moments_in_place(s, n, x, y, xd, yd);
  } else if (kind == device::compare_kind::pearson) {
    const double mean_a = device::mean_of(s.scan.sum_a, m), mean_b = device::mean_of(s.scan.sum_b, m);
    for (std::size_t k = 0; k < m; ++k) {
      x[k] = device::compare_term(kind, x[k], mean_a);
      y[k] = device::compare_term(kind, y[k], mean_b);
    }
  }
  s.sums = grid_reduce(
      m, device::empty_sums(), [&](device::pair_sums& a, std::size_t k) { device::sums_add(a, x[k], y[k]); },
      [](device::pair_sums& a, const device::pair_sums& b) { device::sums_merge(a, b); });
  s.outcome = device::outcome_of(kind, s.scan, s.sums, m);
  s.statistic = device::statistic_of(kind, s.outcome, s.sums, s.diagonal, m);
  s.scale = device::permutation_scale(kind, s.sums, s.diagonal, m);
  return s;
}

/// What a call gives: "value <v>" or the exception's kind and message.
template <class F>
std::string outcome(F&& f) {
  try {
    const double v = f();
    return std::isnan(v) ? std::string("value nan") : "value " + std::to_string(v);
  } catch (const icl::invalid_argument& e) {
    return std::string("invalid: ") + e.what();
  } catch (const icl::error& e) {
    return std::string("error: ") + e.what();
  }
}

/// icl::cuda::compare's host steps around the CPU run of its kernels (the function name is the
/// CPU's, so that messages compare equal).
double device_compare(const std::vector<double>& a, const std::vector<double>& b, comparison c,
                      icl::nan_policy policy) {
  device::check_same_size(fn, a.size(), b.size());
  const device::compare_kind kind = device::device_comparison(fn, c);
  device::check_compare_size(fn, kind, a.size(), policy);
  const std::size_t n =
      kind == device::compare_kind::whitened_cosine ? icl::detail::conditions_from_pair_count(fn, a.size()) : 0;
  std::vector<double> x = a, y = b, xd, yd;
  const device::compare_summary s = run_compare(kind, x, y, n, xd, yd);
  device::raise_compare_outcome(fn, c, s, a.size(), policy);
  return s.statistic;
}

/// Values read through a stride from the element type E (float values are what a float device
/// vector holds; the CPU library then compares the same values as doubles).
template <class E>
std::vector<double> strided_values(const std::vector<double>& values, std::size_t stride) {
  std::vector<E> storage(values.size() * stride, E(-7));
  for (std::size_t k = 0; k < values.size(); ++k) storage[k * stride] = static_cast<E>(values[k]);
  std::vector<double> out(values.size());
  for (std::size_t k = 0; k < values.size(); ++k) out[k] = static_cast<double>(storage[k * stride]);
  return out;
}

/// m uniform values in [-2, 2).
std::vector<double> uniform_values(std::size_t m, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> uniform(-2.0, 2.0);
  std::vector<double> v;
  while (v.size() < m) v.push_back(uniform(engine));
  return v;
}

/// A categorical hypothesis RDM of n conditions (0 within a class, 1 across): many ties.
std::vector<double> categorical_values(std::size_t n, std::size_t classes) {
  std::vector<double> v;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) v.push_back(i % classes == j % classes ? 0.0 : 1.0);
  }
  return v;
}

constexpr comparison device_comparisons[] = {comparison::pearson, comparison::spearman, comparison::rho_a,
                                             comparison::cosine, comparison::whitened_cosine};

/// The permutation test's kernels on the CPU (after the observed comparison): per batch, the
/// permutations drawn on the host, each (chunk, thread)'s permuted partial merged by the block
/// tree, the chunks added in order, the statistic and its count.
icl::rsa::permutation_result device_permutation_test(const std::vector<double>& a, const std::vector<double>& b,
                                                     comparison c, const icl::rsa::permutation_params& params,
                                                     std::size_t batch) {
  const std::size_t m = a.size(), n = icl::detail::conditions_from_pair_count(fn, m);
  const device::compare_kind kind = device::device_comparison(fn, c);
  const device::test_tail tail = device::check_permutation_params(fn, params);
  std::vector<double> x = a, y = b, xd, yd;
  const device::compare_summary s = run_compare(kind, x, y, n, xd, yd);
  device::raise_compare_outcome(fn, c, s, m, params.nan);
  const device::permutation_tiling tiling{m, device::reduction_threads, 8};
  std::vector<std::uint32_t> orders(batch * n);
  icl::rsa::permutation_result result{s.statistic, 0.0, params.permutations, {}};
  std::uint64_t extreme = 0;
  for (std::size_t first = 0; first < params.permutations; first += batch) {
    const std::size_t size = std::min(batch, params.permutations - first);
    device::draw_permutations(params.seed, first, size, n, orders.data());
    for (std::size_t p = 0; p < size; ++p) {
      double dot = 0.0;
      for (std::size_t chunk = 0; chunk < tiling.chunks(); ++chunk) {
        std::vector<double> shared(tiling.threads);
        for (std::size_t t = 0; t < tiling.threads; ++t) {
          shared[t] = device::permuted_partial(x.data(), y.data(), n, orders.data() + p * n, tiling.first(chunk, t),
                                               tiling.count(chunk, t));
        }
        for (std::size_t half = tiling.threads / 2; half > 0; half /= 2) {
          for (std::size_t t = 0; t < half; ++t) shared[t] += shared[t + half];
        }
        dot += shared[0];
      }
      const std::uint32_t* order = orders.data() + p * n;
      const double diagonal = xd.empty() ? 0.0 : device::permuted_diagonal(xd.data(), yd.data(), n, order);
      const double statistic = device::permuted_statistic(kind, dot, diagonal, s.scale);
      result.null_distribution.push_back(statistic);
      if (device::counts_as_extreme(tail, statistic, s.statistic)) ++extreme;
    }
  }
  result.p_value = device::permutation_p_value(extreme, params.permutations);
  return result;
}

}  // namespace

TEMPLATE_TEST_CASE("the device comparison's steps give icl::rsa::compare", "[cuda_cpu]", float, double) {
  const std::size_t n = 40, m = n * (n - 1) / 2;
  const std::vector<std::vector<double>> as = {uniform_values(m, 1), categorical_values(n, 3)};
  const std::vector<double> b_values = uniform_values(m, 2);
  for (std::size_t which = 0; which < as.size(); ++which) {
    for (const std::size_t stride : {std::size_t{1}, std::size_t{3}}) {
      const std::vector<double> a = strided_values<TestType>(as[which], stride);
      const std::vector<double> b = strided_values<TestType>(b_values, stride);
      for (const comparison c : device_comparisons) {
        INFO(icl::rsa::to_string(c) << " input " << which << " stride " << stride);
        const double expected = icl::rsa::compare(a, b, c);
        const double got = device_compare(a, b, c, icl::nan_policy::raise);
        REQUIRE(got == Approx(expected).epsilon(1e-12).margin(1e-14));
      }
    }
  }
  // m beyond what the grid covers in one stride (1024 blocks of 256 threads).
  const std::vector<double> long_a = strided_values<TestType>(uniform_values(800 * 799 / 2, 3), 1);
  const std::vector<double> long_b = strided_values<TestType>(uniform_values(800 * 799 / 2, 4), 1);
  for (const comparison c : device_comparisons) {
    INFO(icl::rsa::to_string(c) << ", n = 800");
    REQUIRE(device_compare(long_a, long_b, c, icl::nan_policy::raise) ==
            Approx(icl::rsa::compare(long_a, long_b, c)).epsilon(1e-12).margin(1e-14));
  }
}

TEST_CASE("the device ranks are icl::average_ranks minus the mean rank", "[cuda_cpu]") {
  for (const std::size_t m : {1, 2, 7, 513, 5000}) {
    // Runs of equal values in every order, -0.0 beside +0.0, and an infinity.
    std::vector<double> x(m);
    for (std::size_t k = 0; k < m; ++k) x[k] = 0.5 * static_cast<double>((k * 7) % 5) - 1.0;
    const double specials[] = {-0.0, 0.0, std::numeric_limits<double>::infinity()};
    if (m > 3) std::copy_n(specials, 3, x.begin());
    const std::vector<double> expected = icl::average_ranks(x);
    centered_ranks_in_place(x);
    for (std::size_t k = 0; k < m; ++k) REQUIRE(x[k] == expected[k] - 0.5 * static_cast<double>(m + 1));
  }
}

TEST_CASE("the device comparison raises what icl::rsa::compare raises", "[cuda_cpu]") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  // Sums exact in double: the spread message prints them, and both paths add them exactly.
  const std::vector<double> ok = {1.0, 3.0, 2.0, 5.0, 4.0, 3.0};
  const std::vector<double> constant(6, 2.5);
  std::vector<double> with_nan = ok, with_inf = ok, tiny = {1e-200, 0.0, 0.0, 0.0, 0.0, 0.0};
  with_nan[4] = nan;
  with_inf[2] = -inf;
  struct input {
    std::vector<double> a, b;
  };
  const std::vector<input> inputs = {{ok, ok},        {constant, ok},     {ok, constant},  {constant, constant},
                                     {with_nan, ok},  {ok, with_inf},     {with_inf, with_nan}, {tiny, ok},
                                     {ok, {1.0, 2.0}}, {{1.0}, {2.0}},     {ok, ok}};
  const comparison all[] = {comparison::pearson, comparison::spearman,        comparison::rho_a,
                            comparison::cosine,  comparison::whitened_cosine, static_cast<comparison>(99)};
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (const comparison c : all) {
      for (const icl::nan_policy policy : {icl::nan_policy::raise, icl::nan_policy::propagate}) {
        INFO("input " << i << " comparison " << static_cast<int>(c) << " policy " << static_cast<int>(policy));
        const icl::rsa::compare_params params{policy};
        const std::string expected = outcome([&] { return icl::rsa::compare(inputs[i].a, inputs[i].b, c, params); });
        REQUIRE(outcome([&] { return device_compare(inputs[i].a, inputs[i].b, c, policy); }) == expected);
      }
    }
  }
  // Computed on the host only, and nan_policy::omit: the device's own errors.
  for (const comparison c : {comparison::kendall_tau_a, comparison::kendall_tau_b}) {
    const std::string got = outcome([&] { return device_compare(ok, ok, c, icl::nan_policy::raise); });
    REQUIRE(got.find("invalid: icl::rsa::compare: " + std::string(icl::rsa::to_string(c)) +
                     " is not computed on the device") == 0);
  }
  REQUIRE(outcome([&] { return device_compare(ok, ok, comparison::pearson, icl::nan_policy::omit); }) ==
          "invalid: icl::rsa::compare: nan_policy::omit is not supported on the device (use raise or propagate)");
  // Positions in the device sort are 32-bit: the rank comparisons stop below 2^32 values.
  const std::size_t huge = std::size_t{1} << 32;
  REQUIRE_THROWS_WITH(device::check_compare_size(fn, device::compare_kind::rho_a, huge, icl::nan_policy::raise),
                      "icl::rsa::compare: ranks on the device need m < 2^32 values, got m = 4294967296");
  REQUIRE_NOTHROW(device::check_compare_size(fn, device::compare_kind::spearman, huge - 1, icl::nan_policy::raise));
  REQUIRE_NOTHROW(device::check_compare_size(fn, device::compare_kind::cosine, huge, icl::nan_policy::raise));
}

TEST_CASE("pair_at inverts the condensed position", "[cuda_cpu]") {
  for (const std::size_t n : {2, 3, 4, 7, 64, 301}) {
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j, ++k) {
        const device::pair_cursor c = device::pair_at(n, k);
        REQUIRE((c.i == i && c.j == j));
      }
    }
  }
  // Large n: rows near the start and end, where the root in double is least exact.
  for (const std::size_t n : {std::size_t{92682}, std::size_t{3000000}}) {
    for (const std::size_t i : {std::size_t{0}, std::size_t{1}, n / 2, n - 3, n - 2}) {
      for (const std::size_t j : {i + 1, i + 2, n - 1}) {
        if (j >= n) continue;
        const std::size_t k = device::pair_position(n, i, j);
        const device::pair_cursor c = device::pair_at(n, k);
        REQUIRE((c.i == i && c.j == j));
        device::pair_cursor next = c;
        next.advance();
        if (k + 1 < n * (n - 1) / 2) {
          const device::pair_cursor expected = device::pair_at(n, k + 1);
          REQUIRE((next.i == expected.i && next.j == expected.j));
        }
      }
    }
  }
}

TEMPLATE_TEST_CASE("the device permutation test's steps give icl::rsa::permutation_test", "[cuda_cpu]", float,
                   double) {
  const std::size_t n = 23, m = n * (n - 1) / 2;
  const std::vector<double> noise = uniform_values(m, 8);
  std::vector<double> related = categorical_values(n, 4);
  for (std::size_t k = 0; k < m; ++k) related[k] += 0.8 * noise[k];
  const std::vector<double> a = strided_values<TestType>(related, 1);
  const std::vector<double> hypotheses[] = {categorical_values(n, 4),
                                            strided_values<TestType>(uniform_values(m, 9), 1)};
  for (const auto& b : hypotheses) {
    for (const comparison c : device_comparisons) {
      for (const icl::alternative alt :
           {icl::alternative::two_sided, icl::alternative::greater, icl::alternative::less}) {
        icl::rsa::permutation_params params;
        params.permutations = 300;
        params.seed = 42;
        params.alt = alt;
        params.keep_null = true;
        INFO(icl::rsa::to_string(c) << " " << icl::to_string(alt));
        const auto expected = icl::rsa::permutation_test(icl::rsa::rdm_from_condensed(a),
                                                         icl::rsa::rdm_from_condensed(b), c, params);
        for (const std::size_t batch : {std::size_t{1}, std::size_t{7}, std::size_t{300}}) {
          const auto got = device_permutation_test(a, b, c, params, batch);
          REQUIRE(got.statistic == Approx(expected.statistic).epsilon(1e-12).margin(1e-14));
          REQUIRE(got.p_value == expected.p_value);
          REQUIRE(got.null_distribution.size() == expected.null_distribution.size());
          for (std::size_t k = 0; k < params.permutations; ++k) {
            REQUIRE(got.null_distribution[k] == Approx(expected.null_distribution[k]).epsilon(1e-12).margin(1e-14));
          }
        }
      }
    }
  }
}

TEST_CASE("the device permutation test's checks raise what icl::rsa::permutation_test raises", "[cuda_cpu]") {
  const icl::rsa::rdm a = icl::rsa::rdm_from_condensed(uniform_values(10, 1));
  const icl::rsa::rdm constant = icl::rsa::rdm_from_condensed(std::vector<double>(10, 1.0));
  const auto cpu = [](const icl::rsa::rdm& x, const icl::rsa::rdm& y, const icl::rsa::permutation_params& p) {
    return outcome([&] { return icl::rsa::permutation_test(x, y, comparison::spearman, p).p_value; });
  };
  const auto on_device = [](const icl::rsa::rdm& x, const icl::rsa::rdm& y, const icl::rsa::permutation_params& p) {
    return outcome([&] {
      std::string name = "icl::rsa::permutation_test";
      icl::rsa::detail::check_rdm_pair(name.c_str(), x, y);
      (void)device::check_permutation_params(name.c_str(), p);
      std::vector<double> u = x.condensed(), v = y.condensed(), ud, vd;
      const device::compare_summary s = run_compare(device::compare_kind::spearman, u, v, x.n(), ud, vd);
      device::raise_compare_outcome(name.c_str(), comparison::spearman, s, u.size(), p.nan);
      return s.statistic;
    });
  };
  icl::rsa::permutation_params params;
  params.permutations = 10;
  REQUIRE(on_device(a, constant, params) == cpu(a, constant, params));
  params.permutations = 0;
  REQUIRE(on_device(a, a, params) == cpu(a, a, params));
  params.permutations = 10;
  params.alt = static_cast<icl::alternative>(7);
  REQUIRE(on_device(a, a, params) == cpu(a, a, params));
  params.alt = icl::alternative::two_sided;
  params.nan = icl::nan_policy::omit;
  REQUIRE(on_device(a, a, params) == cpu(a, a, params));
  params.nan = icl::nan_policy::propagate;
  REQUIRE(on_device(a, constant, params) == "value nan");
  REQUIRE(std::isnan(icl::rsa::permutation_test(a, constant, comparison::spearman, params).p_value));
  const icl::rsa::rdm small = icl::rsa::rdm_from_condensed({1.0, 2.0, 3.0});
  REQUIRE(on_device(a, small, params) == cpu(a, small, params));
}
