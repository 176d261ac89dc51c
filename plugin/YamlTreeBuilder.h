#pragma once
// Builds JSON documents from yaml-cpp's parse events, the way kubectl's YAML reader
// (sigs.k8s.io/yaml on go-yaml v2) would, with the bounds that make hostile input safe:
//   - aliases are expanded by copy, counted against a budget (an "alias bomb" of a kilobyte
//     would otherwise grow to gigabytes), and an alias inside the node it names is refused
//     (it would be infinite);
//   - nesting deeper than kMaxDepth is refused (before yaml-cpp's own, vaguer guard);
//   - a key set twice keeps the last value, as go-yaml v2 does, and is reported;
//   - keys are strings (a plain `yes` key is "true", `1` is "1"); null and complex keys are
//     reported, as kubectl refuses them;
//   - `<<` merge keys merge their mapping(s), explicit keys taking precedence.
// Building stops with a BuildError (thrown through yaml-cpp's parser, caught by YamlLoader).
#include <cstddef>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>

#include "plugin/YamlLoader.h"

namespace fro::plugin {

class YamlTreeBuilder final : public YAML::EventHandler {
 public:
  // A FeatureRollout nests about 10 levels; yaml-cpp's own guard stops near 500 block levels.
  static constexpr std::size_t kMaxDepth = 256;
  static constexpr std::size_t kMaxAliasNodes = 100'000;  // nodes produced by expanding aliases
  static constexpr std::size_t kMaxNodes = 1'000'000;     // nodes in all, aliases included
  // Text in all, aliases' copies included: a 100 KiB scalar aliased 10,000 times is few nodes
  // but a gigabyte of text.
  static constexpr std::size_t kMaxScalarBytes = 16u << 20;

  struct BuildError : std::runtime_error {
    BuildError(const std::string& what, const YAML::Mark& m) : std::runtime_error(what), mark(m) {}
    YAML::Mark mark;
  };

  // go-yaml v2's resolve(): what a plain (unquoted, untagged) scalar means.
  static nlohmann::json resolvePlain(const std::string& s);

  // The documents built so far (empty ones included, as null values).
  std::vector<YamlDocument>& documents() { return docs_; }

  void OnDocumentStart(const YAML::Mark& mark) override;
  void OnDocumentEnd() override;
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override;
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override;
  void OnSequenceEnd() override;
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override;
  void OnMapEnd() override;

 private:
  struct Frame {
    bool isMap = false;
    nlohmann::json value;
    std::string path;
    YAML::anchor_t anchor = 0;
    YAML::Mark mark;  // where the node starts
    std::size_t nodesAtStart = 0;
    std::size_t bytesAtStart = 0;
    // Mappings: the key waiting for its value, and where each key was set.
    bool haveKey = false;
    bool keyUsable = false;  // false: a null or complex key, reported; its value is dropped
    bool mergeKey = false;   // the key is `<<`
    std::string key;
    int keyLine = 0;
    std::map<std::string, int> keyLines;
    std::vector<nlohmann::json> merges;  // mappings named by `<<`, applied at the end
    std::size_t index = 0;               // sequences: the next item's index
  };

  std::string childPath() const;
  void open(bool isMap, const YAML::Mark& mark, YAML::anchor_t anchor);
  void close();
  // A finished node: into its parent (or the document), remembered if anchored.
  void emit(nlohmann::json v, const YAML::Mark& mark, YAML::anchor_t anchor, bool plainKey, std::size_t nodes,
            std::size_t bytes);
  // `bytes` against the budget; `contained`: text in the document (parsed or an alias's copy), not
  // the copy an anchor keeps, so a node's size does not double with each anchor around it.
  void addBytes(std::size_t bytes, const YAML::Mark& mark, bool contained);
  void count(std::size_t nodes, const YAML::Mark& mark, bool contained = true);  // as addBytes
  void problem(const std::string& path, const std::string& message, bool refused);

  std::vector<YamlDocument> docs_;
  std::vector<Frame> stack_;
  struct Anchored {
    nlohmann::json value;
    std::size_t nodes = 0;
    std::size_t bytes = 0;  // scalar text in it, keys included
  };
  std::map<YAML::anchor_t, Anchored> anchors_;
  std::set<YAML::anchor_t> open_;  // anchors of nodes still being built
  std::size_t nodes_ = 0, treeNodes_ = 0, aliasNodes_ = 0, scalarBytes_ = 0, textBytes_ = 0;
  bool inDocument_ = false;
  int docIndex_ = 0;
};

}  // namespace fro::plugin
