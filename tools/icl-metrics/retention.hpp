// Layer retention / filtering ([P2], icl::geometry::layer_retention) as the program writes it:
// shared by the `retention` subcommand and its section of the report.
#ifndef ICL_TOOLS_RETENTION_HPP
#define ICL_TOOLS_RETENTION_HPP

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "families.hpp"

namespace icl_tool {

/// The arguments r and top_k of layer_retention, and the program's retained/filtered cut.
struct retention_options {
  std::size_t rank = 0;    ///< r, required: at most min(n - 1, d)
  std::size_t top_k = 10;  ///< tokens per direction with an unembedding (the library's default)
  double threshold = 0.5;  ///< a direction with norm >= threshold counts as retained
};

/// Token strings by id, empty where unknown (see read_token_strings).
using token_strings = std::vector<std::optional<std::string>>;

/// Token strings by id: a JSON array of strings, a JSON object {token: id} (a tokenizer's
/// vocab.json), or text with one token per line; more entries than `vocab` is an input error.
token_strings read_token_strings(const std::string& path, std::size_t vocab);

/// Retention at every transition of hidden [layers, n, d], decoded with E when given (and its
/// tokens' strings when `strings` is given): the `result` of docs/cli.md's retention.result,
/// and in `rows` one flat row per (transition, direction). Library errors are input errors
/// naming the files.
json retention(const named_array& hidden, const named_array* E, const token_strings* strings,
               const retention_options& options, json& rows);

}  // namespace icl_tool

#endif  // ICL_TOOLS_RETENTION_HPP
