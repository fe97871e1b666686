#include "joinery/common/log.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace joinery::log {
namespace {

using json = nlohmann::json;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetSink([this](std::string_view line) { lines_.emplace_back(line); });
    SetLevel(Level::kInfo);
  }
  void TearDown() override {
    SetSink(nullptr);
    SetLevel(Level::kInfo);
  }
  std::vector<std::string> lines_;
};

TEST_F(LogTest, WritesKarpenterShapedLine) {
  Info("controller", "created nodeclaim",
       {{"controller", "provisioner"}, {"NodePool", {{"name", "default"}}}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(lines_[0], StartsWith(R"({"level":"INFO","time":")"));
  EXPECT_THAT(
      lines_[0],
      MatchesRegex(
          R"(.*"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z",.*)"));
  EXPECT_THAT(lines_[0],
              ::testing::EndsWith(R"("logger":"controller","message":"created nodeclaim",)"
                                  R"("NodePool":{"name":"default"},"controller":"provisioner"})"));
  json parsed = json::parse(lines_[0]);
  EXPECT_EQ(parsed["NodePool"]["name"], "default");
}

TEST_F(LogTest, EscapesStringsAndToleratesInvalidUtf8) {
  Error("webhook", "bad \"input\"\n\xff", {{"value", "a\tb"}});
  ASSERT_EQ(lines_.size(), 1u);
  json parsed = json::parse(lines_[0]);
  EXPECT_EQ(parsed["level"], "ERROR");
  EXPECT_EQ(parsed["message"], "bad \"input\"\n\xEF\xBF\xBD");
  EXPECT_EQ(parsed["value"], "a\tb");
  EXPECT_EQ(lines_[0].find('\n'), std::string::npos);
}

TEST_F(LogTest, FieldsCannotReplaceFixedKeys) {
  Warn("x", "m", {{"level", "forged"}, {"message", "forged"}});
  json parsed = json::parse(lines_.at(0));
  EXPECT_EQ(parsed["level"], "WARN");
  EXPECT_EQ(parsed["message"], "m");
  EXPECT_EQ(parsed["fields.level"], "forged");
}

TEST_F(LogTest, NonObjectFieldsAreNested) {
  Info("x", "m", json::array({1, 2}));
  EXPECT_EQ(json::parse(lines_.at(0))["fields"], json::array({1, 2}));
}

TEST_F(LogTest, DropsLinesBelowLevel) {
  Debug("x", "hidden");
  EXPECT_TRUE(lines_.empty());
  SetLevel(Level::kDebug);
  Debug("x", "shown");
  EXPECT_EQ(lines_.size(), 1u);
  SetLevel(Level::kError);
  Warn("x", "hidden");
  EXPECT_EQ(lines_.size(), 1u);
  EXPECT_FALSE(Enabled(Level::kWarn));
}

TEST(ParseLevel, AcceptsNamesCaseInsensitively) {
  Level l = Level::kInfo;
  EXPECT_TRUE(ParseLevel("DEBUG", &l));
  EXPECT_EQ(l, Level::kDebug);
  EXPECT_TRUE(ParseLevel("warning", &l));
  EXPECT_EQ(l, Level::kWarn);
  EXPECT_TRUE(ParseLevel("error", &l));
  EXPECT_EQ(l, Level::kError);
  EXPECT_FALSE(ParseLevel("verbose", &l));
  EXPECT_EQ(l, Level::kError);
}

TEST_F(LogTest, ConcurrentLinesStayWhole) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 100; ++i) Info("t", "line", {{"thread", t}, {"i", i}});
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(lines_.size(), 400u);
  for (const std::string& line : lines_) EXPECT_TRUE(json::accept(line)) << line;
}

}  // namespace
}  // namespace joinery::log
