#include "demo/service/FlagState.h"

namespace fro::demo {

std::vector<FlagState::Change> FlagState::update(const std::vector<DemoFlag>& read) {
  std::map<std::string, int> next;
  for (const auto& [name, p] : percent_) next[name] = 0;
  for (const auto& f : read) next[f.name] = f.percent;
  std::vector<Change> changes;
  for (const auto& [name, p] : next) {
    auto it = percent_.find(name);
    if (it == percent_.end()) changes.push_back({name, -1, p});
    else if (it->second != p) changes.push_back({name, it->second, p});
  }
  percent_ = std::move(next);
  return changes;
}

std::vector<DemoFlag> FlagState::current() const {
  std::vector<DemoFlag> out;
  for (const auto& [name, p] : percent_) out.push_back({name, p});
  return out;
}

std::string FlagState::describe(const Change& c) {
  if (c.from < 0) return "flag " + c.flag + ": " + std::to_string(c.to) + "% of users (new)";
  return "flag " + c.flag + ": " + std::to_string(c.from) + "% -> " + std::to_string(c.to) + "% of users";
}

}  // namespace fro::demo
