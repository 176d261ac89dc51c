#pragma once
// lint's check across every file and document it is given: one workload, one rollout. Two
// FeatureRollouts in the same namespace that target the same workload (kind and name) would both
// write its pod template (the operator lets only the first claim it, the other reports
// TargetClaimed and changes nothing), so lint refuses the second one, naming both rollouts and
// the workload. A document without metadata.namespace goes to the namespace kubectl applies it
// to, which is the same for all of them: such documents are compared with one another.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin/LintProblem.h"

namespace fro::plugin {

class WorkloadClaims {
 public:
  // One FeatureRollout document, in the order lint reads them (file by file, document by document).
  // Documents without a usable name or targets list are ignored.
  void add(const std::string& file, int doc, const nlohmann::json& obj);

  struct Conflict {
    std::string file;
    int doc = 0;  // the later rollout's document: the one that is refused
    LintProblem problem;
  };
  // Every later rollout that targets a workload an earlier one already targets.
  std::vector<Conflict> conflicts() const;

 private:
  struct Claim {
    std::string file;
    int doc = 0;
    std::string ns;  // "" = none set
    std::string name;
    int index = 0;  // into spec.targets
    std::string kind, workload;
  };
  std::vector<Claim> claims_;
};

}  // namespace fro::plugin
