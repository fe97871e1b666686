// The requirements algebra: sets of allowed label values per key, as Karpenter models NodePool
// requirements, pod node selectors / node affinity, instance types and offerings.
//
// A Requirement is either a concrete set ("In a b", empty = DoesNotExist) or the complement of a set
// ("NotIn a b", empty complement = Exists), optionally bounded by integer bounds (Gt/Lt/Gte/Lte
// become inclusive bounds) and carrying a minValues count. Requirements maps key → Requirement; a key
// that is absent allows any value (Get() returns Exists). Intersection is Add(). Values only; all
// operations are deterministic and thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <map>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "joinery/api/types.h"

namespace joinery::scheduling {

class Requirement {
 public:
  // Exists on `key`.
  explicit Requirement(std::string key);
  // From an operator and values. Unknown operators and non-integer bounds are InvalidArgument
  // (validation normally catches them first).
  static absl::StatusOr<Requirement> Make(std::string key, std::string_view op,
                                          const std::vector<std::string>& values,
                                          std::optional<int> min_values = std::nullopt);
  static Requirement In(std::string key, std::vector<std::string> values);
  static Requirement NotIn(std::string key, std::vector<std::string> values);
  static Requirement Exists(std::string key);
  static Requirement DoesNotExist(std::string key);

  const std::string& key() const { return key_; }
  bool complement() const { return complement_; }
  const std::set<std::string, std::less<>>& values() const { return values_; }
  std::optional<int64_t> gte() const { return gte_; }
  std::optional<int64_t> lte() const { return lte_; }
  std::optional<int> min_values() const { return min_values_; }

  // In, NotIn, Exists or DoesNotExist (bounded complements report Exists).
  std::string_view Operator() const;
  bool Has(std::string_view value) const;
  // Number of allowed values; complements are unbounded (INT64_MAX).
  int64_t Len() const;
  bool IsDoesNotExist() const { return !complement_ && values_.empty(); }
  // True when some value satisfies both.
  bool HasIntersection(const Requirement& other) const;
  // The intersection of both (same key), minValues = max of both.
  Requirement Intersection(const Requirement& other) const;
  // A value that satisfies the requirement: the smallest member of an In set; for a complement a
  // deterministic integer within the bounds that is not excluded (Karpenter picks a random one).
  // nullopt for DoesNotExist.
  std::optional<std::string> Any() const;
  // "key In [a b]", "key Exists >=3", as Karpenter prints them (at most 5 values shown).
  std::string ToString() const;
  // Back to selector form (In/NotIn/Exists/DoesNotExist plus Gte/Lte entries for bounds).
  std::vector<api::NodeSelectorRequirement> ToSelector() const;

 private:
  bool WithinBounds(std::string_view value) const;
  void Normalize();  // drops out-of-bound values, collapses empty ranges

  std::string key_;
  bool complement_ = true;
  std::set<std::string, std::less<>> values_;
  std::optional<int64_t> gte_;
  std::optional<int64_t> lte_;
  std::optional<int> min_values_;
};

class Requirements {
 public:
  Requirements() = default;
  // From selector requirements (node selector terms, NodePool requirements). Keys are normalized.
  static absl::StatusOr<Requirements> FromSelector(
      const std::vector<api::NodeSelectorRequirement>& reqs);
  // Each label as `In [value]`.
  static Requirements FromLabels(const api::StringMap& labels);

  // Intersects `r` into the requirement of the same key (or inserts it).
  void Add(const Requirement& r);
  void Add(const Requirements& other);
  bool Has(std::string_view key) const { return reqs_.contains(key); }
  // The requirement for `key`; Exists when absent.
  Requirement Get(std::string_view key) const;
  const Requirement* Find(std::string_view key) const;
  const std::map<std::string, Requirement, std::less<>>& items() const { return reqs_; }
  bool empty() const { return reqs_.empty(); }
  void Erase(std::string_view key);

  // OK when, for every key present on both sides, some value satisfies both (two negative
  // requirements — NotIn/DoesNotExist — never conflict). Otherwise InvalidArgument with
  // Karpenter's wording: "key K, <incoming> not in <ours>".
  absl::Status Intersects(const Requirements& incoming) const;
  // Like Intersects, and additionally every key of `incoming` with a positive operator
  // (In/Exists) must be defined here unless it is in `allow_undefined` (the well-known labels):
  // custom labels must be offered explicitly. Error: `label "k" does not have known values`.
  absl::Status Compatible(const Requirements& incoming,
                          const absl::flat_hash_set<std::string_view>& allow_undefined) const;

  // Single-valued labels: for each key that resolves to exactly one value (In with one value),
  // key=value. Used for the labels of a NodeClaim.
  api::StringMap Labels() const;
  std::string ToString() const;  // "k1 In [a], k2 Exists" in key order
  std::vector<api::NodeSelectorRequirement> ToSelector() const;

 private:
  std::map<std::string, Requirement, std::less<>> reqs_;
};

// Label-selector matching (metav1.LabelSelector semantics; a null selector matches nothing,
// an empty one everything).
bool SelectorMatches(const api::LabelSelector& selector, const api::StringMap& labels);

}  // namespace joinery::scheduling
