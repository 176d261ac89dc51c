#include "plugin/YamlLoader.h"

#include <exception>
#include <new>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "plugin/Utf8.h"
#include "plugin/YamlTreeBuilder.h"

namespace fro::plugin {

namespace {

// yaml-cpp reads UTF-16 and UTF-32 with a byte order mark itself (as go-yaml reads UTF-16).
bool unicodeBom(const std::string& t) {
  auto at = [&](std::size_t i) { return i < t.size() ? static_cast<unsigned char>(t[i]) : 0x100; };
  return (at(0) == 0xFF && at(1) == 0xFE) || (at(0) == 0xFE && at(1) == 0xFF) ||
         (at(0) == 0 && at(1) == 0 && at(2) == 0xFE && at(3) == 0xFF);
}

}  // namespace

Result<std::vector<YamlDocument>> YamlLoader::load(const std::string& text) {
  if (text.size() > kMaxBytes)
    return Error::of(fmt::format("the file is {} bytes, more than the {} MiB this reads (the API server takes at most "
                                 "3 MiB per object)",
                                 text.size(), kMaxBytes >> 20));
  if (!unicodeBom(text)) {
    if (auto bad = Utf8::firstInvalid(text)) {
      auto [line, column] = Utf8::position(text, *bad);
      return Error::of(fmt::format("not valid UTF-8 at line {}, column {} (byte 0x{:02X}); kubectl refuses the file",
                                   line, column, static_cast<unsigned char>(text[*bad])));
    }
    if (auto bad = Utf8::firstNotPrintable(text)) {
      auto [line, column] = Utf8::position(text, *bad);
      return Error::of(fmt::format("control character (byte 0x{:02X}) at line {}, column {} is not allowed in YAML; "
                                   "kubectl refuses the file",
                                   static_cast<unsigned char>(text[*bad]), line, column));
    }
  }
  YamlTreeBuilder builder;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const YamlTreeBuilder::BuildError& e) {
    return Error::of(fmt::format("line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.what()));
  } catch (const YAML::DeepRecursion& e) {
    return Error::of(fmt::format("line {}, column {}: the YAML nests too deeply ({} levels of the parser); refused",
                                 e.mark.line + 1, e.mark.column + 1, e.depth()));
  } catch (const YAML::Exception& e) {
    return Error::of(fmt::format("YAML syntax error at line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.msg));
  } catch (const std::bad_alloc&) {
    return Error::of("the file needs more memory than is available to read it");
  } catch (const std::exception& e) {
    return Error::of(fmt::format("cannot read the YAML: {}", e.what()));
  }
  std::vector<YamlDocument> out;
  for (auto& d : builder.documents())
    if (!d.value.is_null()) out.push_back(std::move(d));
  return out;
}

}  // namespace fro::plugin
