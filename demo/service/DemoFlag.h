#pragma once
// One flag as the demo service sees it: the flag key users are bucketed on and its share of users.
#include <string>

namespace fro::demo {

struct DemoFlag {
  std::string name;  // the flag key (flagd flag name), hashed with the user id
  int percent = 0;   // 0..100

  bool operator==(const DemoFlag&) const = default;
};

}  // namespace fro::demo
