#include "rollout/controller/Finalizer.h"

#include <algorithm>
#include <vector>

#include "runtime/kube/ApiError.h"

namespace fro::rollout {
namespace {

using json = nlohmann::json;

std::vector<std::string> finalizersOf(const json& obj) {
  std::vector<std::string> out;
  const json md = obj.value("metadata", json::object());
  for (const auto& f : md.value("finalizers", json::array()))
    if (f.is_string()) out.push_back(f.get<std::string>());
  return out;
}

}  // namespace

Finalizer::Finalizer(kube::ObjectWriter& writer, kube::Resource resource, std::string name)
    : writer_(writer), resource_(std::move(resource)), name_(std::move(name)) {}

Finalizer::Case Finalizer::of(const json& obj) const {
  const auto list = finalizersOf(obj);
  const bool present = std::find(list.begin(), list.end(), name_) != list.end();
  const bool deleting = obj.value("metadata", json::object()).contains("deletionTimestamp");
  if (deleting) return present ? Case::CleanUp : Case::Gone;
  return present ? Case::Proceed : Case::Add;
}

Result<json> Finalizer::add(const json& obj) const {
  const json& md = obj["metadata"];
  json ops = json::array({{{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", md.value("resourceVersion", "")}}});
  if (finalizersOf(obj).empty())
    ops.push_back({{"op", "add"}, {"path", "/metadata/finalizers"}, {"value", {name_}}});
  else
    ops.push_back({{"op", "add"}, {"path", "/metadata/finalizers/-"}, {"value", name_}});
  auto r = writer_.patch(resource_, md.value("namespace", ""), md.value("name", ""), kube::PatchType::JsonPatch, ops);
  if (!r.ok()) return r.error();
  return (*r)["metadata"];
}

Status Finalizer::remove(const json& obj) const {
  const auto list = finalizersOf(obj);
  const auto pos = std::find(list.begin(), list.end(), name_);
  if (pos == list.end()) return ok();
  const std::string path = "/metadata/finalizers/" + std::to_string(pos - list.begin());
  const json ops = json::array({{{"op", "test"}, {"path", path}, {"value", name_}}, {{"op", "remove"}, {"path", path}}});
  const json& md = obj["metadata"];
  auto r = writer_.patch(resource_, md.value("namespace", ""), md.value("name", ""), kube::PatchType::JsonPatch, ops);
  if (!r.ok() && !kube::ApiError::isNotFound(r.error())) return r.error();
  return ok();
}

}  // namespace fro::rollout
