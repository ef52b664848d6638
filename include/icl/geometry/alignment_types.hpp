#ifndef ICL_GEOMETRY_ALIGNMENT_TYPES_HPP
#define ICL_GEOMETRY_ALIGNMENT_TYPES_HPP

/// The options and results of the separability / alignment measures now live in
/// icl/geometry/types.hpp; this header keeps existing includes compiling.

#include "icl/geometry/types.hpp"

#endif  // ICL_GEOMETRY_ALIGNMENT_TYPES_HPP
