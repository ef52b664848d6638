// Catch2's main(), compiled once; every test executable links this object.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
