// Preprocessing: pooling token states over positions, standardizing.
#include <string>

#include "bindings.hpp"

namespace icl_py {

namespace {

nb::object pool_tokens(array_like tokens, array_like positions, const std::string& how) {
  const char* fn = "icl::pool_tokens";
  const array_arg t = take_array(tokens, fn, "tokens", 3);
  std::vector<std::vector<std::size_t>> subsets;
  const bool per_prompt = nb::len(positions) > 0 && nb::hasattr(positions[0], "__len__");
  if (per_prompt) {
    for (nb::handle p : positions) subsets.push_back(take_indices(p, fn, "positions"));
  } else {
    subsets.assign(t.shape[0], take_indices(positions, fn, "positions"));
  }
  const auto kind = parse<icl::pooling>(how);
  return visit(t, [&](auto e) -> nb::object {
    using T = decltype(e);
    auto r = released([&] { return icl::pool_tokens(tensor_of<T, 3>(t), subsets, kind); });
    return nb::cast(to_numpy(r));
  });
}

nb::object standardize(array_like X, const std::string& how) {
  const array_arg x = take_array(X, "icl::standardize", "X", 2);
  const auto kind = parse<icl::standardization>(how);
  return visit(x, [&](auto e) -> nb::object {
    using T = decltype(e);
    auto r = released([&] { return icl::standardize(matrix_of<T>(x), kind); });
    return nb::cast(to_numpy(r));
  });
}

}  // namespace

void init_preprocess(nb::module_& m) {
  m.def("pool_tokens", &pool_tokens, nb::arg("tokens"), nb::arg("positions"), nb::arg("how") = "mean",
        doc("Pools token states over a subset of positions per prompt: row i pools tokens[i, p, :] for p in its subset.",
            R"(tokens : array [n, T, d]
    Token states (any strides; float16, bfloat16, float32 or float64 read in place).
positions : integer array or list (the same subset for every prompt), or a sequence of n of them
    Positions < T; duplicates allowed.
how : str, default 'mean'
    'mean', 'max' or 'last' (the state at the largest position).)",
            "numpy.ndarray [n, d]: float32 for float16/bfloat16/float32 input, float64 for float64 (computed in double)",
            "    a positions count other than n, an empty subset, a position >= T, NaN/Inf in a pooled state.")
            .c_str());
  m.def("standardize", &standardize, nb::arg("X"), nb::arg("how") = "zscore_features",
        doc("Z-scores X per feature (column) or per row, with population standard deviations (scipy.stats.zscore).",
            R"(X : array [n, d]
how : str, default 'zscore_features'
    'zscore_features', 'zscore_rows' or 'none'.)",
            "numpy.ndarray [n, d]: float32 for float16/bfloat16/float32 input, float64 for float64",
            "    a constant feature (or row), NaN/Inf (naming row and column).")
            .c_str());
}

}  // namespace icl_py
