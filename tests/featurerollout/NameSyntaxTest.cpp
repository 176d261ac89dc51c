// The name syntaxes a spec is checked with, written out by hand (NameSyntax.h says why): the same
// answers as the CRD's patterns, and no stack overflow on a megabyte of name.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "rollout/planner/NameSyntax.h"

namespace fro::rollout {
namespace {

TEST(NameSyntax, AgreesWithTheCrdPatternsOnShortNames) {
  // Every string of up to 3 characters over an alphabet with each class's edge cases.
  const std::string alphabet = "aZ0-_./";
  const std::regex label("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), subdomain("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"),
      env("^[A-Za-z_][A-Za-z0-9_]*$"), flag("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"), mount("^(/[A-Za-z0-9._-]+)+/?$");
  std::vector<std::string> all = {""};
  for (int len = 1; len <= 4; ++len) {
    std::vector<std::string> next;
    for (const auto& s : all)
      if (s.size() == static_cast<size_t>(len - 1))
        for (char c : alphabet) next.push_back(s + c);
    all.insert(all.end(), next.begin(), next.end());
  }
  for (const auto& s : all) {
    EXPECT_EQ(NameSyntax::dnsLabel(s), std::regex_match(s, label)) << s;
    EXPECT_EQ(NameSyntax::dnsSubdomain(s), std::regex_match(s, subdomain)) << s;
    EXPECT_EQ(NameSyntax::envVar(s), std::regex_match(s, env)) << s;
    EXPECT_EQ(NameSyntax::flagName(s), std::regex_match(s, flag)) << s;
    EXPECT_EQ(NameSyntax::mountPath(s), std::regex_match(s, mount)) << s;
  }
}

TEST(NameSyntax, AMegabyteOfNameIsJustLong) {
  const std::string big(1 << 20, 'a');
  EXPECT_TRUE(NameSyntax::dnsLabel(big));
  EXPECT_TRUE(NameSyntax::flagName(big));
  EXPECT_FALSE(NameSyntax::envVar("1" + big));
  EXPECT_TRUE(NameSyntax::mountPath("/" + big));
}

}  // namespace
}  // namespace fro::rollout
