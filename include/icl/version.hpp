#ifndef ICL_VERSION_HPP
#define ICL_VERSION_HPP

/// Library version, kept equal to the CMake project version.
#define ICL_VERSION_MAJOR 0
#define ICL_VERSION_MINOR 1
#define ICL_VERSION_PATCH 0
#define ICL_VERSION_STRING "0.1.0"

#endif  // ICL_VERSION_HPP
