#include "demo/service/FlagPoller.h"

#include "demo/service/FlagConfig.h"

namespace fro::demo {

void FlagPoller::enter(Condition c, const std::string& message, DemoLog::Level level) {
  // The same condition with the same message is logged once; a new message (another error) again.
  if (c == condition_ && message == lastMessage_) return;
  condition_ = c;
  lastMessage_ = message;
  log_.write(level, message);
}

std::optional<std::vector<DemoFlag>> FlagPoller::poll() {
  auto got = fetch_();
  if (!got) {
    enter(Condition::ReadFailed, "cannot read " + what_ + " (keeping the last flags): " + got.error().message,
          DemoLog::Level::Warn);
    return std::nullopt;
  }
  if (!got->has_value()) {
    enter(Condition::Missing, what_ + " not found: every flag at 0% until it exists", DemoLog::Level::Warn);
    return std::vector<DemoFlag>{};
  }
  auto flags = FlagConfig::fromConfigMap(**got);
  if (!flags) {
    enter(Condition::Invalid, what_ + " is not usable (keeping the last flags): " + flags.error().message,
          DemoLog::Level::Warn);
    return std::nullopt;
  }
  enter(Condition::Ok, "reading flags from " + what_, DemoLog::Level::Info);
  return *flags;
}

}  // namespace fro::demo
