// Internal to joinery_api (not part of its contract): how objects and values are shown in error
// messages, so that decoding and validation agree ("examples/a.yaml: Pod/default/web: ").
#pragma once

#include <string>
#include <string_view>

#include "joinery/api/types.h"
#include "joinery/common/strings.h"

namespace joinery::api::internal {

using ::joinery::StrCat;

// `s` for a message: control characters escaped, at most `max` bytes (then "...").
inline std::string Printable(std::string_view s, size_t max = 253) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

// `s` in double quotes, with quotes and backslashes escaped, for messages; long text is shortened.
inline std::string Quote(std::string_view s) {
  constexpr size_t kMax = 80;
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    char c = s[i];
    if (c == '"' || c == '\\') out += '\\';
    out += Printable(std::string_view(&s[i], 1));
  }
  if (s.size() > kMax) out += "...";
  out += '"';
  return out;
}

// "<Kind>/<name>" or, for namespaced kinds, "<Kind>/<namespace>/<name>" (namespace "default" when
// empty). An object with only generateName shows as "<generateName>*".
inline std::string ObjectRef(std::string_view kind, const ObjectMeta& meta, bool namespaced) {
  std::string name = meta.name.empty() && !meta.generate_name.empty()
                         ? StrCat(Printable(meta.generate_name), "*")
                         : Printable(meta.name);
  if (!namespaced) return StrCat(kind, "/", name);
  return StrCat(kind, "/", meta.namespace_.empty() ? "default" : Printable(meta.namespace_), "/",
                name);
}

// "<file>: <ObjectRef>: ", or without the file part when `file` is empty.
inline std::string ObjectPrefix(std::string_view file, std::string_view kind,
                                const ObjectMeta& meta, bool namespaced) {
  std::string ref = ObjectRef(kind, meta, namespaced);
  if (file.empty()) return StrCat(ref, ": ");
  return StrCat(file, ": ", ref, ": ");
}

// Field paths in messages: Join("spec", "weight") = "spec.weight", At("items", 2) = "items[2]",
// AtKey("labels", "a/b") = "labels[a/b]".
inline std::string Join(std::string_view path, std::string_view field) {
  if (path.empty()) return std::string(field);
  return StrCat(path, ".", field);
}
inline std::string At(std::string_view path, size_t i) { return StrCat(path, "[", i, "]"); }
inline std::string AtKey(std::string_view path, std::string_view key) {
  return StrCat(path, "[", Printable(key), "]");
}

}  // namespace joinery::api::internal
