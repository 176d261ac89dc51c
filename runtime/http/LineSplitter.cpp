#include "runtime/http/LineSplitter.h"

namespace fro::http {

bool LineSplitter::deliver(std::string_view line, const OnLine& onLine) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!onLine(line)) stopped_ = true;
  return !stopped_;
}

bool LineSplitter::feed(std::string_view chunk, const OnLine& onLine) {
  while (!stopped_ && !chunk.empty()) {
    const auto nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(chunk);
      break;
    }
    if (partial_.empty()) {
      // Common case: the whole line is in this chunk, hand it over without copying.
      deliver(chunk.substr(0, nl), onLine);
    } else {
      partial_.append(chunk.substr(0, nl));
      std::string line;
      line.swap(partial_);
      deliver(line, onLine);
    }
    chunk.remove_prefix(nl + 1);
  }
  return !stopped_;
}

bool LineSplitter::finish(const OnLine& onLine) {
  if (stopped_ || partial_.empty()) return !stopped_;
  std::string line;
  line.swap(partial_);
  return deliver(line, onLine);
}

}  // namespace fro::http
