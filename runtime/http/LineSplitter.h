#pragma once
// Turns a byte stream arriving in arbitrary chunks into lines: each complete line (without '\n' and
// without one trailing '\r') goes to the callback as soon as its '\n' arrives. Lines split across
// chunks are joined. finish() delivers a final unterminated line. Not thread-safe.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace fro::http {

class LineSplitter {
 public:
  using OnLine = std::function<bool(std::string_view line)>;

  // Feeds one chunk. Returns false as soon as onLine returns false (the rest of the chunk is dropped
  // and later calls deliver nothing).
  bool feed(std::string_view chunk, const OnLine& onLine);
  // End of stream: delivers the buffered unterminated line, if any. Returns onLine's answer (or true).
  bool finish(const OnLine& onLine);

  bool stopped() const { return stopped_; }
  // Bytes of an incomplete line held back.
  std::size_t pending() const { return partial_.size(); }

 private:
  bool deliver(std::string_view line, const OnLine& onLine);

  std::string partial_;
  bool stopped_ = false;
};

}  // namespace fro::http
