// Internal to joinery_api (not part of its contract): how objects are named in error messages, so
// that decoding and validation agree ("examples/a.yaml: Pod/default/web: ").
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "joinery/api/types.h"

namespace joinery::api::internal {

// "<Kind>/<name>" or, for namespaced kinds, "<Kind>/<namespace>/<name>" (namespace "default" when
// empty). An object with only generateName shows as "<generateName>*".
inline std::string ObjectRef(std::string_view kind, const ObjectMeta& meta, bool namespaced) {
  std::string name = meta.name.empty() && !meta.generate_name.empty()
                         ? absl::StrCat(meta.generate_name, "*")
                         : meta.name;
  if (!namespaced) return absl::StrCat(kind, "/", name);
  return absl::StrCat(kind, "/", meta.namespace_.empty() ? "default" : meta.namespace_, "/", name);
}

// "<file>: <ObjectRef>: ", or without the file part when `file` is empty.
inline std::string ObjectPrefix(std::string_view file, std::string_view kind, const ObjectMeta& meta,
                                bool namespaced) {
  std::string ref = ObjectRef(kind, meta, namespaced);
  if (file.empty()) return absl::StrCat(ref, ": ");
  return absl::StrCat(file, ": ", ref, ": ");
}

}  // namespace joinery::api::internal
