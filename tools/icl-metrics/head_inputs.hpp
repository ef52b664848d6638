// Inputs of the head-level subcommands (head-layers, task-vector): lists of (layer, head) pairs
// and [layers, heads] score grids, read from a tensor file, inline JSON, or a field of a JSON
// document such as `icl-metrics attention` writes ("attention.json:top_induction").
#ifndef ICL_TOOLS_HEAD_INPUTS_HPP
#define ICL_TOOLS_HEAD_INPUTS_HPP

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "icl/attention/types.hpp"

namespace icl_tool {

using head_list = std::vector<std::pair<std::size_t, std::size_t>>;

/// A field of a JSON document named as "FILE.json:KEY": the document of FILE (parsed) and KEY.
struct json_field {
  std::string path, key;
  json document;
};

/// "FILE.json:KEY" split at its first ".json:", FILE read and parsed; std::nullopt when spec
/// holds no ".json:". Throws input_error "FILE: cannot open the file (WHAT)" or "FILE: not valid
/// JSON (WHAT)". How KEY addresses the document is the caller's.
std::optional<json_field> read_json_field(const std::string& spec, const std::string& what);

/// The JSON value that `spec` names: inline JSON ("[[0, 1], [2, 3]]"), a whole .json file, or a
/// field of one ("FILE.json:KEY": KEY of the document's "result" object when it has one, else
/// of the document itself). std::nullopt when spec is none of these (a tensor reference).
std::optional<json> json_input(const std::string& spec, const std::string& what);

/// (layer, head) pairs: an integer array [k, 2] (a tensor reference), or JSON holding an array of
/// [layer, head] pairs or of {"layer", "head", ...} objects (the top-head lists of
/// `icl-metrics attention`). An empty list is returned as such (the library rejects it).
head_list read_head_list(const std::string& spec, const std::string& what);

/// A score per (layer, head): a 2-D array [layers, heads] of any numeric type (a tensor
/// reference), or JSON holding an array of equal-length rows of numbers (null reads as NaN,
/// which icl::attention::top_heads rejects), as the grids of `icl-metrics attention`.
icl::attention::head_map read_score_grid(const std::string& spec, const std::string& what);

/// [[layer, head], ...] of a head list.
json head_pairs(const head_list& heads);

}  // namespace icl_tool

#endif  // ICL_TOOLS_HEAD_INPUTS_HPP
