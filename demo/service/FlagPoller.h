#pragma once
// One read of the flag ConfigMap per poll(), turned into the flags to apply. Logs each change of
// condition once (ConfigMap missing, read failing, unparsable, back to normal), not every poll.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "demo/service/DemoFlag.h"
#include "demo/service/DemoLog.h"
#include "runtime/common/Result.h"

namespace fro::demo {

class FlagPoller {
 public:
  // The ConfigMap, std::nullopt when it does not exist (404), an Error when it could not be read.
  using Fetch = std::function<Result<std::optional<nlohmann::json>>()>;

  FlagPoller(Fetch fetch, std::string what, DemoLog& log) : fetch_(std::move(fetch)), what_(std::move(what)), log_(log) {}

  // The flags to apply now; std::nullopt: keep the previous ones (the read or the parse failed).
  // A missing ConfigMap is no flags at all.
  std::optional<std::vector<DemoFlag>> poll();

 private:
  enum class Condition { Unknown, Ok, Missing, ReadFailed, Invalid };
  void enter(Condition c, const std::string& message, DemoLog::Level level);

  Fetch fetch_;
  std::string what_;  // "ConfigMap ns/name" for messages
  DemoLog& log_;
  Condition condition_ = Condition::Unknown;
  std::string lastMessage_;
};

}  // namespace fro::demo
