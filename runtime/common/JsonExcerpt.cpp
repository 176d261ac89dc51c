#include "runtime/common/JsonExcerpt.h"

#include "runtime/common/Utf8.h"

namespace fro {
namespace {

using nlohmann::json;

std::string scalar(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

// Stops adding once `out` is past `budget`: the caller cuts it anyway.
void write(const json& v, std::string& out, std::size_t budget, int depth) {
  if (!v.is_structured()) {
    out += scalar(v);
    return;
  }
  const bool array = v.is_array();
  if (depth >= JsonExcerpt::kMaxDepth) {
    out += array ? "[...]" : "{...}";
    return;
  }
  out += array ? '[' : '{';
  bool first = true;
  for (auto it = v.begin(); it != v.end() && out.size() <= budget; ++it) {
    if (!first) out += ',';
    first = false;
    if (!array) out += scalar(json(it.key())) + ':';
    write(*it, out, budget, depth + 1);
  }
  out += array ? ']' : '}';
}

}  // namespace

std::string JsonExcerpt::of(const nlohmann::json& value, std::size_t maxBytes) {
  std::string out;
  write(value, out, maxBytes, 0);
  return out.size() > maxBytes ? Utf8::truncate(out, maxBytes) : out;
}

}  // namespace fro
