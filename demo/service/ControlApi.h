#pragma once
// The control endpoint's routes, independent of sockets:
//   POST   /faults?flag=NAME[&errorRate=0..1][&latencyMs=0..60000]  inject (replaces that flag's fault)
//   DELETE /faults?flag=NAME                                        clear one flag's fault
//   DELETE /faults                                                  clear all
//   GET    /faults                                                  list
//   GET    /healthz                                                 liveness
// Replies are JSON; every rejection is a 4xx with {"error": "..."} saying what was wrong.
#include <map>
#include <string>
#include <string_view>

#include "demo/service/FaultRegistry.h"
#include "demo/service/HttpReply.h"
#include "runtime/common/Result.h"

namespace fro::demo {

class ControlApi {
 public:
  static constexpr int kMaxLatencyMs = 60000;

  explicit ControlApi(FaultRegistry& faults) : faults_(faults) {}

  // target: the request-target, path and optional query ("/faults?flag=a&errorRate=0.3").
  HttpReply handle(std::string_view method, std::string_view target);

  // Query string into name -> value (percent-decoded, '+' is a space). A repeated name, an empty
  // name or a bad %-escape is an error.
  static Result<std::map<std::string, std::string>> parseQuery(std::string_view query);
  static Result<std::string> percentDecode(std::string_view s);

 private:
  HttpReply listFaults() const;
  HttpReply postFault(const std::map<std::string, std::string>& q);
  HttpReply deleteFault(const std::map<std::string, std::string>& q);

  FaultRegistry& faults_;
};

}  // namespace fro::demo
