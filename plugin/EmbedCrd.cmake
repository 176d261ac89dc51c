# cmake -DIN=<crd.yaml> -DOUT=<EmbeddedCrd.cpp> -P EmbedCrd.cmake
# Writes the CRD as raw string literals of at most 8000 bytes (ISO C++ only guarantees 65536
# per literal, and -Wpedantic says so), joined at run time.
file(READ "${IN}" content)
string(LENGTH "${content}" len)
set(parts "")
set(pos 0)
while(pos LESS len)
  string(SUBSTRING "${content}" ${pos} 8000 chunk)
  string(APPEND parts "    R\"fro_crd(${chunk})fro_crd\",\n")
  math(EXPR pos "${pos} + 8000")
endwhile()
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by EmbedCrd.cmake: do not edit.
#include \"plugin/EmbeddedCrd.h\"

namespace fro::plugin {

std::string EmbeddedCrd::yaml() {
  static const char* const kParts[] = {
${parts}  };
  std::string out;
  for (const char* p : kParts) out += p;
  return out;
}

}  // namespace fro::plugin
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
