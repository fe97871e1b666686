// Kubernetes label selectors: the string form ("a=b,c!=d,e in (f,g),h notin (i),j,!k") parsed into
// requirements, and matching against an object's labels. Used by FakeClient for List/Watch
// `labelSelector` and by anyone who needs to evaluate a selector locally (PodDisruptionBudgets,
// topology spread, DaemonSets: FromJson takes a metav1.LabelSelector).
//
// Thread-safety: a LabelSelector is an immutable value once built; const methods may be called from
// any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace joinery::kube {

class LabelSelector {
 public:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;  // one value for kEquals/kNotEquals, none for kExists/kDoesNotExist
  };

  // The empty selector: matches everything.
  LabelSelector() = default;

  // Parses the string form used in `?labelSelector=`. "" is the empty selector (matches all).
  // "=" and "==" are the same. Bad syntax is kInvalidArgument.
  static absl::StatusOr<LabelSelector> Parse(std::string_view selector);

  // Builds a selector from a metav1.LabelSelector JSON object ({"matchLabels": {...},
  // "matchExpressions": [{"key", "operator": In|NotIn|Exists|DoesNotExist, "values"}]}).
  // Null or {} matches everything (as for a PDB's selector in policy/v1). Unknown operators are
  // kInvalidArgument.
  static absl::StatusOr<LabelSelector> FromJson(const nlohmann::json& selector);

  // `labels` is a JSON object of string values (metadata.labels); null or missing = no labels.
  bool Matches(const nlohmann::json& labels) const;

  bool Empty() const { return requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }
  // The canonical string form (parseable by Parse).
  std::string ToString() const;

 private:
  std::vector<Requirement> requirements_;
};

}  // namespace joinery::kube
