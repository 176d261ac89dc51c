#pragma once
// Property checks of the fuzz targets: a violated property prints what was expected and traps, so
// libFuzzer saves the input as a crash. Exceptions are never caught in the targets: one escaping
// our API is a finding too (errors are values at our boundaries).
#include <cstdio>
#include <string_view>

namespace fro::fuzz {

[[noreturn]] inline void violated(const char* file, int line, const char* cond, std::string_view what) {
  std::fprintf(stderr, "fuzz property violated at %s:%d: %.*s (%s)\n", file, line, static_cast<int>(what.size()),
               what.data(), cond);
  __builtin_trap();
}

}  // namespace fro::fuzz

#define FRO_FUZZ_CHECK(cond, what) \
  ((cond) ? static_cast<void>(0) : ::fro::fuzz::violated(__FILE__, __LINE__, #cond, (what)))
