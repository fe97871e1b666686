// Internal to joinery_api (not part of its contract): decoding one object that is already a YAML
// node tree, for readers that do not start from text (api/json.cc builds the tree from JSON the API
// server returned). Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "joinery/api/types.h"
#include "yaml-cpp/yaml.h"

namespace joinery::api::internal {

// Decodes `node` (one object with kind, apiVersion and metadata, or a List of them) into `out`
// exactly as DecodeDocuments() decodes each document: same fields, same errors, no defaults and no
// validation. `file` and `where` name the object in messages before its kind and name are known
// (e.g. file "" and where "object"). `budget` caps the nodes visited (the tree has no aliases, so
// its node count is enough). Unknown kinds are counted in out.ignored_kinds. On error `out` may
// hold part of the object's list; callers decode into a scratch Manifests.
absl::Status DecodeObjectNode(const YAML::Node& node, std::string_view file, std::string_view where,
                              int64_t budget, Manifests& out);

}  // namespace joinery::api::internal
