#include "joinery/common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace joinery::log {
namespace {

using json = nlohmann::json;

std::atomic<Level> g_level{Level::kInfo};

struct SinkState {
  std::mutex mu;
  std::function<void(std::string_view)> sink;  // guarded by mu; empty: stderr
};

SinkState& State() {
  static SinkState* state = new SinkState();  // never destroyed: threads may log during exit
  return *state;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarn:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "INFO";
}

// JSON text of `v`. Invalid UTF-8 (names and messages may carry bytes from the outside) is
// replaced with U+FFFD instead of throwing.
void AppendJson(std::string& out, const json& v) {
  out += v.dump(-1, ' ', false, json::error_handler_t::replace);
}

void AppendString(std::string& out, std::string_view s) { AppendJson(out, json(std::string(s))); }

bool IsFixedKey(std::string_view key) {
  return key == "level" || key == "time" || key == "logger" || key == "message";
}

}  // namespace

void SetLevel(Level level) { g_level.store(level, std::memory_order_relaxed); }
Level GetLevel() { return g_level.load(std::memory_order_relaxed); }
bool Enabled(Level level) { return level >= GetLevel(); }

bool ParseLevel(std::string_view text, Level* level) {
  std::string s = absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
  if (s == "debug") {
    *level = Level::kDebug;
  } else if (s == "info") {
    *level = Level::kInfo;
  } else if (s == "warn" || s == "warning") {
    *level = Level::kWarn;
  } else if (s == "error") {
    *level = Level::kError;
  } else {
    return false;
  }
  return true;
}

void SetSink(std::function<void(std::string_view line)> sink) {
  SinkState& state = State();
  std::lock_guard lock(state.mu);
  state.sink = std::move(sink);
}

void Write(Level level, std::string_view logger, std::string_view message, const json& fields) {
  if (!Enabled(level)) return;
  // Fixed keys in Karpenter's order; nlohmann's objects sort keys, so the line is built by hand.
  std::string line = "{\"level\":\"";
  line += LevelName(level);
  line += "\",\"time\":\"";
  line += absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line += "\",\"logger\":";
  AppendString(line, logger);
  line += ",\"message\":";
  AppendString(line, message);
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      line += ',';
      AppendString(line, IsFixedKey(it.key()) ? "fields." + it.key() : it.key());
      line += ':';
      AppendJson(line, it.value());
    }
  } else if (!fields.is_null()) {
    line += ",\"fields\":";
    AppendJson(line, fields);
  }
  line += '}';

  SinkState& state = State();
  std::lock_guard lock(state.mu);
  if (state.sink) {
    state.sink(line);
    return;
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace joinery::log
