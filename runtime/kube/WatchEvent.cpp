#include "runtime/kube/WatchEvent.h"

#include <fmt/format.h>

#include "runtime/kube/JsonRead.h"

namespace fro::kube {

int WatchEvent::errorCode() const { return JsonRead::integer(object, "code"); }

std::string WatchEvent::resourceVersion() const {
  auto m = object.find("metadata");
  if (m == object.end()) return {};
  return JsonRead::text(*m, "resourceVersion");
}

Result<WatchEvent> WatchEvent::parse(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Error::invalid(fmt::format("watch: undecodable line: {}", line.substr(0, 120)));
  auto t = j.find("type");
  auto o = j.find("object");
  if (t == j.end() || !t->is_string() || o == j.end() || !o->is_object())
    return Error::invalid(fmt::format("watch: event without type/object: {}", line.substr(0, 120)));
  WatchEvent ev;
  const std::string& type = t->get_ref<const std::string&>();
  if (type == "ADDED") ev.type = Type::Added;
  else if (type == "MODIFIED") ev.type = Type::Modified;
  else if (type == "DELETED") ev.type = Type::Deleted;
  else if (type == "BOOKMARK") ev.type = Type::Bookmark;
  else if (type == "ERROR") ev.type = Type::Error;
  else return Error::invalid(fmt::format("watch: unknown event type {}", type));
  ev.object = std::move(*o);
  return ev;
}

}  // namespace fro::kube
