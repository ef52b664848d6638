#ifndef ICL_ATTENTION_DETAIL_ACCUMULATOR_HPP
#define ICL_ATTENTION_DETAIL_ACCUMULATOR_HPP

/// The machinery of the four attention accumulators (ratio_accumulator,
/// previous_token_accumulator, induction_accumulator, label_bias_accumulator): each is a thin
/// class over prompt_accumulator<Sums, Settings, Name> (or layered_accumulator), where Sums is
/// the state a prompt's contribution is added into, Settings what is fixed at construction and
/// Name the class's qualified name for error messages. The public class only computes a prompt's
/// contribution with the metric's kernel and hands it over; adding, merging, counting and their
/// checks live here.

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "icl/attention/types.hpp"
#include "icl/core/error.hpp"

namespace icl::attention::detail {

using icl::detail::throw_invalid;

/// The state of the summing accumulators: per-(layer, head) sums over prompts, fed a whole
/// prompt at a time (add) or one layer of a prompt at a time (add_layer: an inference engine's
/// per-layer callback), with the number of prompts each layer received.
///
/// Rules: the first add or add_layer fixes the number of heads; a whole prompt must have the
/// accumulated number of layers (once known); add_layer may name any layer, growing the layer
/// count. merge adds another state of the same shape. Flags (zero_denominator) are OR-ed.
class layered_sum {
 public:
  using part = head_map;

  bool empty() const noexcept { return counts_.empty(); }

  /// Adds a whole prompt's map.
  void add(const char* function, const head_map& prompt) {
    if (!empty() && (prompt.layers != sum_.layers || prompt.heads != sum_.heads)) throw_shape(function, prompt);
    add_rows(prompt, 0);
  }

  /// Adds a one-layer map as layer `layer`.
  void add_layer(const char* function, std::size_t layer, const head_map& one_layer) {
    if (!empty() && one_layer.heads != sum_.heads) {
      throw_invalid(function, "layer ", layer, " has ", one_layer.heads, " heads, the accumulated layers have ",
                    sum_.heads);
    }
    add_rows(one_layer, layer);
  }

  void merge(const char* function, const layered_sum& other) {
    if (other.empty()) return;
    if (empty()) {
      *this = other;
      return;
    }
    if (other.sum_.layers != sum_.layers || other.sum_.heads != sum_.heads) throw_shape(function, other.sum_);
    add_rows(other.sum_, 0);  // counts one prompt per layer; replace it by other's counts
    for (std::size_t l = 0; l < counts_.size(); ++l) counts_[l] = counts_[l] - 1 + other.counts_[l];
  }

  /// Prompts received by each layer.
  const std::vector<std::size_t>& layer_prompts() const noexcept { return counts_; }

  /// Calls f on every member of the state (f takes each by reference): how the state travels
  /// between processes (icl/mpi/attention.hpp writes and reads it field by field).
  template <class F>
  void for_each_field(F&& f) {
    f(sum_);
    f(counts_);
  }

  /// The number of prompts: the most any layer received (all layers agree when whole prompts
  /// are added).
  std::size_t prompts() const noexcept {
    return counts_.empty() ? 0 : *std::max_element(counts_.begin(), counts_.end());
  }

  /// The sums; icl::invalid_argument when nothing was added or a layer received nothing.
  const head_map& total(const char* function) const {
    check_complete(function);
    return sum_;
  }

  /// The sums divided by each layer's prompt count.
  head_map mean(const char* function) const {
    check_complete(function);
    head_map out = sum_;
    for (std::size_t l = 0; l < out.layers; ++l) {
      for (std::size_t h = 0; h < out.heads; ++h) out.values[l * out.heads + h] /= static_cast<double>(counts_[l]);
    }
    return out;
  }

 private:
  [[noreturn]] void throw_shape(const char* function, const head_map& b) const {
    throw_invalid(function, "shape ", b.layers, " layers x ", b.heads, " heads does not match the accumulated ",
                  sum_.layers, " x ", sum_.heads);
  }

  void check_complete(const char* function) const {
    if (empty()) throw_invalid(function, "no prompt was added");
    for (std::size_t l = 0; l < counts_.size(); ++l) {
      if (counts_[l] == 0) {
        throw_invalid(function, "layer ", l, " received no attention (", counts_.size(),
                      " layers known; add_layer must feed every layer)");
      }
    }
  }

  /// Adds the rows of `rows` into layers [first, first + rows.layers), growing as needed.
  void add_rows(const head_map& rows, std::size_t first) {
    const std::size_t H = rows.heads, end = first + rows.layers;
    if (empty()) sum_.heads = H;
    if (end > sum_.layers) {
      sum_.values.resize(end * H, 0.0);
      if (!sum_.zero_denominator.empty()) sum_.zero_denominator.resize(end * H, 0);
      sum_.layers = end;
      counts_.resize(end, 0);
    }
    for (std::size_t i = 0; i < rows.layers * H; ++i) sum_.values[first * H + i] += rows.values[i];
    if (!rows.zero_denominator.empty()) {
      if (sum_.zero_denominator.empty()) sum_.zero_denominator.assign(sum_.values.size(), 0);
      for (std::size_t i = 0; i < rows.layers * H; ++i) {
        sum_.zero_denominator[first * H + i] =
            static_cast<unsigned char>(sum_.zero_denominator[first * H + i] | rows.zero_denominator[i]);
      }
    }
    sum_.zero_denominator_count = static_cast<std::size_t>(
        std::count(sum_.zero_denominator.begin(), sum_.zero_denominator.end(), static_cast<unsigned char>(1)));
    for (std::size_t l = first; l < end; ++l) ++counts_[l];
  }

  head_map sum_;
  std::vector<std::size_t> counts_;
};


/// The settings of an accumulator that has none.
struct no_settings {};

/// The fields of the settings (for_each_field of the accumulators); Settings types with fields
/// overload it beside their definition.
template <class F>
void for_each_setting(no_settings& /*settings*/, F&& /*f*/) {}

template <class F>
void for_each_setting(attention_params& p, F&& f) {
  f(p.check_row_sums);
  f(p.row_sum_tolerance);
}

/// Member names, for the error messages of the accumulators ("<class>::<member>").
inline constexpr char add_member[] = "add";
inline constexpr char add_layer_member[] = "add_layer";
inline constexpr char merge_member[] = "merge";
inline constexpr char result_member[] = "result";

/// Accumulators can be merged whatever their settings, unless an overload for their Settings
/// type (found by argument-dependent lookup) says otherwise by throwing.
template <class Settings>
void check_mergeable(const char* /*function*/, const Settings& /*mine*/, const Settings& /*other*/) noexcept {}

/// What every attention accumulator shares: one prompt's contribution (Sums::part, computed by
/// the public class with the metric's kernel) added into Sums, merge() of another worker's
/// accumulator, prompts(), and the qualified names of its members for error messages.
///
///   Sums:      using part = ...; add(function, part), merge(function, sums), prompts()
///   Settings:  fixed at construction (what add needs besides its arguments); check_mergeable
///              may be overloaded for it
///   Name:      the public class's qualified name, e.g. "icl::attention::ratio_accumulator"
///
/// Thread safety: none inside. One accumulator is fed by one thread at a time; the design for
/// concurrent callers is one accumulator per worker, merged at the end. The const members may be
/// called from several threads while no thread modifies the accumulator.
template <class Sums, class Settings, const char* Name>
class prompt_accumulator {
 public:
  /// Adds the sums of another accumulator of the same class (another worker's), after checking
  /// that the settings agree and the shapes match; the result is that of adding every prompt to
  /// one accumulator, up to the rounding of the sums. An empty side contributes nothing. The
  /// settings stay this accumulator's.
  void merge(const prompt_accumulator& other) {
    check_mergeable(function_name<merge_member>(), settings_, other.settings_);
    sums_.merge(function_name<merge_member>(), other.sums_);
  }

  /// Prompts added (with add_layer: the most any layer received).
  std::size_t prompts() const noexcept { return sums_.prompts(); }

  /// Calls f on every member of the settings and the sums: how an accumulator travels between
  /// processes (icl::mpi::merge in icl/mpi/attention.hpp).
  template <class F>
  void for_each_field(F&& f) {
    for_each_setting(settings_, f);  // overloads per Settings type, found by argument-dependent lookup
    sums_.for_each_field(f);
  }

 protected:
  explicit prompt_accumulator(Settings settings = Settings{}) : settings_(std::move(settings)) {}

  /// "<Name>::<Member>", built once per class and member.
  template <const char* Member>
  static const char* function_name() {
    static const std::string name = std::string(Name) + "::" + Member;
    return name.c_str();
  }

  const Settings& settings() const noexcept { return settings_; }
  const Sums& sums() const noexcept { return sums_; }
  Sums& sums() noexcept { return sums_; }

  /// Adds one whole prompt's contribution (errors name "<Name>::add").
  void add_part(const typename Sums::part& part) { sums_.add(function_name<add_member>(), part); }

 private:
  Settings settings_;
  Sums sums_;
};

/// prompt_accumulator over per-(layer, head) sums that can also be fed one layer of a prompt at a
/// time (Sums::add_layer, Sums::layer_prompts: layered_sum or built from it).
template <class Sums, class Settings, const char* Name>
class layered_accumulator : public prompt_accumulator<Sums, Settings, Name> {
  using base = prompt_accumulator<Sums, Settings, Name>;

 public:
  /// Prompts received by each layer.
  const std::vector<std::size_t>& layer_prompts() const noexcept { return this->sums().layer_prompts(); }

 protected:
  using base::base;

  /// Adds a one-layer contribution as layer `layer` (errors name "<Name>::add_layer").
  void add_layer_part(std::size_t layer, const typename Sums::part& part) {
    this->sums().add_layer(base::template function_name<add_layer_member>(), layer, part);
  }
};

}  // namespace icl::attention::detail

#endif  // ICL_ATTENTION_DETAIL_ACCUMULATOR_HPP
