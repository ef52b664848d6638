#ifndef ICL_VERSION_HPP
#define ICL_VERSION_HPP

/// Library version: project(VERSION) of CMakeLists.txt, the one place it is set (the test
/// package_versions checks these against it; docs/api-stability.md says what a version promises).
#define ICL_VERSION_MAJOR 0
#define ICL_VERSION_MINOR 2
#define ICL_VERSION_PATCH 0
#define ICL_VERSION_STRING "0.2.0"

#endif  // ICL_VERSION_HPP
