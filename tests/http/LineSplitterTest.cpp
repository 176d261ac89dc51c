#include "runtime/http/LineSplitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fro::http {
namespace {

struct Collect {
  std::vector<std::string> lines;
  int stopAfter = -1;
  LineSplitter::OnLine fn() {
    return [this](std::string_view l) {
      lines.emplace_back(l);
      return stopAfter < 0 || static_cast<int>(lines.size()) < stopAfter;
    };
  }
};

TEST(LineSplitter, WholeLinesInOneChunk) {
  LineSplitter s;
  Collect c;
  EXPECT_TRUE(s.feed("a\nbb\nccc\n", c.fn()));
  EXPECT_EQ(c.lines, (std::vector<std::string>{"a", "bb", "ccc"}));
  EXPECT_EQ(s.pending(), 0u);
}

TEST(LineSplitter, JoinsLinesSplitAcrossChunks) {
  LineSplitter s;
  Collect c;
  auto f = c.fn();
  s.feed("ab", f);
  EXPECT_TRUE(c.lines.empty());
  s.feed("c\nd", f);
  s.feed("e", f);
  s.feed("\n", f);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"abc", "de"}));
}

TEST(LineSplitter, StripsOneTrailingCarriageReturnEvenWhenSplitFromNewline) {
  LineSplitter s;
  Collect c;
  auto f = c.fn();
  s.feed("x\r\ny\r", f);
  s.feed("\nz\r\r\n", f);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"x", "y", "z\r"}));
}

TEST(LineSplitter, KeepsEmptyLines) {
  LineSplitter s;
  Collect c;
  s.feed("\n\na\n", c.fn());
  EXPECT_EQ(c.lines, (std::vector<std::string>{"", "", "a"}));
}

TEST(LineSplitter, FinishDeliversUnterminatedLine) {
  LineSplitter s;
  Collect c;
  auto f = c.fn();
  s.feed("a\ntai", f);
  s.feed("l\r", f);
  EXPECT_TRUE(s.finish(f));
  EXPECT_EQ(c.lines, (std::vector<std::string>{"a", "tail"}));
  EXPECT_TRUE(s.finish(f));  // nothing more
  EXPECT_EQ(c.lines.size(), 2u);
}

TEST(LineSplitter, StopsWhenCallbackSaysSo) {
  LineSplitter s;
  Collect c;
  c.stopAfter = 2;
  auto f = c.fn();
  EXPECT_FALSE(s.feed("1\n2\n3\n4", f));
  EXPECT_TRUE(s.stopped());
  EXPECT_FALSE(s.feed("\n5\n", f));
  EXPECT_FALSE(s.finish(f));
  EXPECT_EQ(c.lines, (std::vector<std::string>{"1", "2"}));
}

}  // namespace
}  // namespace fro::http
