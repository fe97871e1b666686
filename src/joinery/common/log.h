// Structured logs: one JSON object per line on stderr, in the shape Karpenter's zap logger writes,
// so that the same log queries work on both:
//
//   {"level":"INFO","time":"2026-11-29T09:00:00.123Z","logger":"controller",
//    "message":"created nodeclaim","controller":"provisioner","NodePool":{"name":"default"}}
//
// The fixed keys come first; `fields` (a JSON object) are merged after them at the top level, and
// may not replace a fixed key (such a field is written as "fields.<key>"). Lines below the level
// set with SetLevel() (default kInfo) are dropped before they are formatted.
//
// Thread-safe: every function may be called from any thread; each line is written whole (one
// write per line under a lock), so lines from concurrent threads never interleave.
#pragma once

#include <functional>
#include <string_view>

#include "nlohmann/json.hpp"

namespace joinery::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Lines below `level` are dropped.
void SetLevel(Level level);
Level GetLevel();
// True when a line at `level` would be written (to skip building expensive fields).
bool Enabled(Level level);

// "debug", "info", "warn" (or "warning"), "error", case-insensitive. False (and *level unchanged)
// for anything else.
bool ParseLevel(std::string_view text, Level* level);

// Where lines go (without the trailing newline). An empty function restores stderr. For tests; the
// sink is called under the logger's lock, so it must not log.
void SetSink(std::function<void(std::string_view line)> sink);

// Writes one line. `fields` should be a JSON object; anything else is written under "fields".
void Write(Level level, std::string_view logger, std::string_view message,
           const nlohmann::json& fields = nlohmann::json::object());

inline void Debug(std::string_view logger, std::string_view message,
                  const nlohmann::json& fields = nlohmann::json::object()) {
  Write(Level::kDebug, logger, message, fields);
}
inline void Info(std::string_view logger, std::string_view message,
                 const nlohmann::json& fields = nlohmann::json::object()) {
  Write(Level::kInfo, logger, message, fields);
}
inline void Warn(std::string_view logger, std::string_view message,
                 const nlohmann::json& fields = nlohmann::json::object()) {
  Write(Level::kWarn, logger, message, fields);
}
inline void Error(std::string_view logger, std::string_view message,
                  const nlohmann::json& fields = nlohmann::json::object()) {
  Write(Level::kError, logger, message, fields);
}

}  // namespace joinery::log
