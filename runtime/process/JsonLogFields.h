#pragma once
// A JSON object's members as log fields (the reconciler reports its fields as JSON). Never throws:
// objects and arrays are written as compact JSON with invalid UTF-8 replaced by U+FFFD, since a log
// call that threw on text from outside (a Prometheus body, an API error) once froze a rollout.
#include <nlohmann/json.hpp>

#include "runtime/process/Logger.h"

namespace fro::log {

Fields jsonLogFields(const nlohmann::json& object) noexcept;

}  // namespace fro::log
