#include "joinery/api/decode.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "joinery/api/decode_internal.h"
#include "joinery/api/defaults.h"
#include "joinery/api/internal.h"
#include "joinery/api/validate.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "yaml-cpp/depthguard.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"
#include "yaml-cpp/yaml.h"

namespace joinery::api {
namespace {

// One input (file or string) may not be larger than this.
constexpr size_t kMaxInputBytes = size_t{64} << 20;
// Every decoded YAML node costs one unit of a per-input budget of kBaseBudget + kBudgetPerByte x
// input size. Without aliases a document has fewer nodes than bytes; aliases can make a small text
// expand to a huge object graph ("billion laughs"), and the budget turns that into an error.
constexpr int64_t kBaseBudget = 20'000;
constexpr int64_t kBudgetPerByte = 4;
// yaml-cpp keeps a few hundred bytes per node; this caps one document at roughly a gigabyte.
constexpr int64_t kMaxNodesPerDocument = 4'000'000;
// `<<` merge keys may merge maps that themselves merge maps; a cyclic alias must not loop.
constexpr int kMaxMergeDepth = 8;
// A `kind: List` may contain Lists (kubectl accepts that); a cyclic alias must not loop.
constexpr int kMaxListDepth = 4;

// ---- Message helpers ----

using internal::At;
using internal::AtKey;
using internal::Join;

using internal::Quote;

std::string Describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return Quote(n.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "an object";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// Quoted and block scalars are strings; plain scalars may be numbers or booleans.
bool IsQuoted(const YAML::Node& n) {
  const std::string& tag = n.Tag();
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

// YAML 1.1 booleans, as Kubernetes' YAML reader (go-yaml v2) accepts them.
std::optional<bool> ParseBool(std::string_view s) {
  for (std::string_view t :
       {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"}) {
    if (s == t) return true;
  }
  for (std::string_view f :
       {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"}) {
    if (s == f) return false;
  }
  return std::nullopt;
}

// Decimal integer with optional sign; nullopt if malformed or outside [lo, hi].
std::optional<int64_t> ParseInteger(std::string_view s, int64_t lo, int64_t hi) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  // Accumulate the magnitude in uint64 (|int64 min| fits), refusing to overflow.
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  constexpr uint64_t kMaxPos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  int64_t r = 0;
  if (neg) {
    if (v > kMaxPos + 1) return std::nullopt;
    r = v == kMaxPos + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
  } else {
    if (v > kMaxPos) return std::nullopt;
    r = static_cast<int64_t>(v);
  }
  if (r < lo || r > hi) return std::nullopt;
  return r;
}

// A map's entries with `<<` merge keys resolved (explicit keys win over merged ones), plus an index
// sorted by key so that lookups stay cheap however many (ignored) fields a map carries.
struct MapView {
  std::vector<std::pair<std::string, YAML::Node>> entries;  // unique keys
  std::vector<size_t> by_key;                               // indices into entries, sorted by key

  void Index() {
    by_key.resize(entries.size());
    for (size_t i = 0; i < by_key.size(); ++i) by_key[i] = i;
    // Stable, so that among equal keys the earliest entry comes first.
    std::stable_sort(by_key.begin(), by_key.end(),
                     [&](size_t a, size_t b) { return entries[a].first < entries[b].first; });
  }

  const YAML::Node* Find(std::string_view key) const {
    auto it = std::lower_bound(
        by_key.begin(), by_key.end(), key,
        [&](size_t i, std::string_view k) { return std::string_view(entries[i].first) < k; });
    if (it == by_key.end() || entries[*it].first != key) return nullptr;
    return &entries[*it].second;
  }
};

struct KindInfo {
  std::string_view kind;
  std::string_view api_version;  // the one supported apiVersion
  bool namespaced;
};

constexpr KindInfo kKinds[] = {
    {"NodePool", "karpenter.sh/v1", false},
    {"NodeClaim", "karpenter.sh/v1", false},
    {"EC2NodeClass", "karpenter.k8s.aws/v1", false},
    {"Pod", "v1", true},
    {"Node", "v1", false},
    {"Deployment", "apps/v1", true},
    {"ReplicaSet", "apps/v1", true},
    {"StatefulSet", "apps/v1", true},
    {"Job", "batch/v1", true},
    {"DaemonSet", "apps/v1", true},
    {"PodDisruptionBudget", "policy/v1", true},
    {"PersistentVolumeClaim", "v1", true},
    {"PersistentVolume", "v1", false},
    {"StorageClass", "storage.k8s.io/v1", false},
    {"CSINode", "storage.k8s.io/v1", false},
};

const KindInfo* FindKind(std::string_view kind) {
  for (const KindInfo& k : kKinds) {
    if (k.kind == kind) return &k;
  }
  return nullptr;
}

std::string_view GroupOf(std::string_view api_version) {
  size_t slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
}

// ---- The decoder ----

// Decodes YAML nodes into API types. Errors are InvalidArgument "<prefix><field.path>: <what>".
// One instance per input; not thread-safe (it holds the budget).
class Decoder {
 public:
  explicit Decoder(int64_t budget) : budget_(budget) {}

  void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }

  absl::Status Err(std::string_view path, std::string_view msg) const {
    if (path.empty()) return absl::InvalidArgumentError(StrCat(prefix_, msg));
    return absl::InvalidArgumentError(StrCat(prefix_, path, ": ", msg));
  }

  absl::Status TypeError(std::string_view path, std::string_view want, const YAML::Node& n) const {
    return Err(path, StrCat("must be ", want, ", got ", Describe(n)));
  }

  absl::Status Visit(std::string_view path) {
    if (--budget_ < 0) {
      return Err(path, "input is too complex (too many nodes once aliases are expanded)");
    }
    return absl::OkStatus();
  }

  // Reads map `n` into `out`, resolving merge keys and rejecting duplicate keys.
  absl::Status Map(const YAML::Node& n, std::string_view path, MapView& out, int depth = 0) {
    RETURN_IF_ERROR(Visit(path));
    if (!n.IsMap()) return TypeError(path, "an object", n);
    if (depth > kMaxMergeDepth) return Err(path, "merge keys (<<) nested too deeply");
    std::vector<YAML::Node> merges;
    out.entries.reserve(n.size());
    for (auto it = n.begin(); it != n.end(); ++it) {
      // yaml-cpp's iterator hands out a temporary proxy: copy the handles out of it.
      YAML::Node key = it->first;
      YAML::Node value = it->second;
      RETURN_IF_ERROR(Visit(path));
      if (!key.IsScalar()) {
        return Err(path, StrCat("keys must be strings, got ", Describe(key), " as a key"));
      }
      if (key.Scalar() == "<<" && !IsQuoted(key)) {
        merges.push_back(value);
        continue;
      }
      out.entries.emplace_back(key.Scalar(), value);
    }
    out.Index();
    for (size_t i = 1; i < out.by_key.size(); ++i) {
      const std::string& key = out.entries[out.by_key[i]].first;
      if (key == out.entries[out.by_key[i - 1]].first) {
        return Err(path, StrCat("duplicate key ", Quote(key)));
      }
    }
    if (merges.empty()) return absl::OkStatus();
    // Merged maps, in precedence order after the explicit entries.
    for (const YAML::Node& m : merges) {
      std::vector<YAML::Node> sources;
      if (m.IsSequence()) {
        for (auto it = m.begin(); it != m.end(); ++it) sources.push_back(*it);
      } else {
        sources.push_back(m);
      }
      for (const YAML::Node& src : sources) {
        MapView merged;
        RETURN_IF_ERROR(Map(src, Join(path, "<<"), merged, depth + 1));
        for (auto& e : merged.entries) {
          RETURN_IF_ERROR(Visit(path));
          out.entries.push_back(std::move(e));
        }
      }
    }
    // Keep the first entry of each key: explicit ones, then earlier merges.
    out.Index();
    std::vector<bool> keep(out.entries.size(), true);
    for (size_t i = 1; i < out.by_key.size(); ++i) {
      if (out.entries[out.by_key[i]].first == out.entries[out.by_key[i - 1]].first) {
        keep[out.by_key[i]] = false;
      }
    }
    size_t kept = 0;
    for (size_t i = 0; i < out.entries.size(); ++i) {
      if (!keep[i]) continue;
      if (kept != i) out.entries[kept] = std::move(out.entries[i]);
      ++kept;
    }
    out.entries.resize(kept);
    out.Index();
    return absl::OkStatus();
  }

  // Decodes field `key` of `m` into `out` when present and not null; leaves `out` alone otherwise.
  template <typename T>
  absl::Status Field(const MapView& m, std::string_view path, std::string_view key, T& out) {
    const YAML::Node* v = m.Find(key);
    if (v == nullptr || v->IsNull()) return absl::OkStatus();
    return Decode(*v, Join(path, key), out);
  }

  absl::Status DurationField(const MapView& m, std::string_view path, std::string_view key,
                             bool allow_never, Duration& out) {
    const YAML::Node* v = m.Find(key);
    if (v == nullptr || v->IsNull()) return absl::OkStatus();
    std::string p = Join(path, key);
    RETURN_IF_ERROR(Visit(p));
    if (!v->IsScalar()) return TypeError(p, "a duration string", *v);
    absl::StatusOr<Duration> d = ParseDuration(v->Scalar(), allow_never);
    if (!d.ok()) return Err(p, ToStd(d.status().message()));
    out = *std::move(d);
    return absl::OkStatus();
  }

  absl::Status DurationField(const MapView& m, std::string_view path, std::string_view key,
                             bool allow_never, std::optional<Duration>& out) {
    const YAML::Node* v = m.Find(key);
    if (v == nullptr || v->IsNull()) return absl::OkStatus();
    Duration d;
    RETURN_IF_ERROR(DurationField(m, path, key, allow_never, d));
    out = std::move(d);
    return absl::OkStatus();
  }

  // An int-or-string field (PDB minAvailable/maxUnavailable), kept as written.
  absl::Status IntOrStringField(const MapView& m, std::string_view path, std::string_view key,
                                std::optional<std::string>& out) {
    const YAML::Node* v = m.Find(key);
    if (v == nullptr || v->IsNull()) return absl::OkStatus();
    std::string p = Join(path, key);
    RETURN_IF_ERROR(Visit(p));
    if (!v->IsScalar()) return TypeError(p, "an integer or a percentage string", *v);
    out = v->Scalar();
    return absl::OkStatus();
  }

  // Returns the map under `key`, or an empty view when absent or null.
  absl::Status Sub(const MapView& m, std::string_view path, std::string_view key, MapView& out) {
    const YAML::Node* v = m.Find(key);
    if (v == nullptr || v->IsNull()) return absl::OkStatus();
    return Map(*v, Join(path, key), out);
  }

  // ---- Scalars ----

  absl::Status Decode(const YAML::Node& n, std::string_view path, std::string& out) {
    RETURN_IF_ERROR(Visit(path));
    if (n.IsNull()) {
      out.clear();
      return absl::OkStatus();
    }
    if (!n.IsScalar()) return TypeError(path, "a string", n);
    out = n.Scalar();
    return absl::OkStatus();
  }

  absl::Status DecodeInt(const YAML::Node& n, std::string_view path, int64_t lo, int64_t hi,
                         int64_t& out) {
    RETURN_IF_ERROR(Visit(path));
    if (!n.IsScalar()) return TypeError(path, "an integer", n);
    std::optional<int64_t> v = IsQuoted(n) ? std::nullopt : ParseInteger(n.Scalar(), lo, hi);
    if (!v.has_value()) {
      if (IsQuoted(n) && ParseInteger(n.Scalar(), lo, hi).has_value()) {
        return Err(path, StrCat("must be an integer, got the string ", Quote(n.Scalar()),
                                " (remove the quotes)"));
      }
      if (!IsQuoted(n) && ParseInteger(n.Scalar(), std::numeric_limits<int64_t>::min(),
                                       std::numeric_limits<int64_t>::max())
                              .has_value()) {
        return Err(path, StrCat("integer ", n.Scalar(), " is out of range [", lo, ", ", hi, "]"));
      }
      return TypeError(path, "an integer", n);
    }
    out = *v;
    return absl::OkStatus();
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, int32_t& out) {
    int64_t v = 0;
    RETURN_IF_ERROR(DecodeInt(n, path, std::numeric_limits<int32_t>::min(),
                              std::numeric_limits<int32_t>::max(), v));
    out = static_cast<int32_t>(v);
    return absl::OkStatus();
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, int64_t& out) {
    return DecodeInt(n, path, std::numeric_limits<int64_t>::min(),
                     std::numeric_limits<int64_t>::max(), out);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, bool& out) {
    RETURN_IF_ERROR(Visit(path));
    if (!n.IsScalar()) return TypeError(path, "a boolean", n);
    std::optional<bool> b = IsQuoted(n) ? std::nullopt : ParseBool(n.Scalar());
    if (!b.has_value()) return TypeError(path, "a boolean", n);
    out = *b;
    return absl::OkStatus();
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, Quantity& out) {
    RETURN_IF_ERROR(Visit(path));
    if (!n.IsScalar()) return TypeError(path, "a quantity", n);
    absl::StatusOr<Quantity> q = Quantity::Parse(n.Scalar());
    if (!q.ok()) return Err(path, ToStd(q.status().message()));
    out = *q;
    return absl::OkStatus();
  }

  // ---- Containers ----

  // Label-style maps: keys and values are strings; unquoted numbers and booleans are taken as
  // their text, null as "".
  absl::Status Decode(const YAML::Node& n, std::string_view path, StringMap& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    out.clear();
    for (const auto& [k, v] : m.entries) {
      std::string value;
      RETURN_IF_ERROR(Decode(v, AtKey(path, k), value));
      out.insert_or_assign(k, std::move(value));
    }
    return absl::OkStatus();
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, ResourceList& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    out.clear();
    for (const auto& [k, v] : m.entries) {
      std::string p = AtKey(path, k);
      if (v.IsNull()) return TypeError(p, "a quantity", v);
      Quantity q;
      RETURN_IF_ERROR(Decode(v, p, q));
      out.insert_or_assign(k, q);
    }
    return absl::OkStatus();
  }

  template <typename T>
  absl::Status Decode(const YAML::Node& n, std::string_view path, std::vector<T>& out) {
    RETURN_IF_ERROR(Visit(path));
    if (!n.IsSequence()) return TypeError(path, "a list", n);
    out.clear();
    out.reserve(std::min<size_t>(n.size(), 4096));
    size_t i = 0;
    for (auto it = n.begin(); it != n.end(); ++it, ++i) {
      T v{};
      RETURN_IF_ERROR(Decode(*it, At(path, i), v));
      out.push_back(std::move(v));
    }
    return absl::OkStatus();
  }

  template <typename T>
  absl::Status Decode(const YAML::Node& n, std::string_view path, std::optional<T>& out) {
    T v{};
    RETURN_IF_ERROR(Decode(n, path, v));
    out = std::move(v);
    return absl::OkStatus();
  }

  // ---- Shared structures ----

  absl::Status Decode(const YAML::Node& n, std::string_view path, OwnerReference& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "apiVersion", out.api_version));
    RETURN_IF_ERROR(Field(m, path, "kind", out.kind));
    RETURN_IF_ERROR(Field(m, path, "name", out.name));
    RETURN_IF_ERROR(Field(m, path, "uid", out.uid));
    return Field(m, path, "controller", out.controller);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, ObjectMeta& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "name", out.name));
    RETURN_IF_ERROR(Field(m, path, "generateName", out.generate_name));
    RETURN_IF_ERROR(Field(m, path, "namespace", out.namespace_));
    RETURN_IF_ERROR(Field(m, path, "uid", out.uid));
    RETURN_IF_ERROR(Field(m, path, "resourceVersion", out.resource_version));
    RETURN_IF_ERROR(Field(m, path, "creationTimestamp", out.creation_timestamp));
    RETURN_IF_ERROR(Field(m, path, "deletionTimestamp", out.deletion_timestamp));
    RETURN_IF_ERROR(Field(m, path, "generation", out.generation));
    RETURN_IF_ERROR(Field(m, path, "labels", out.labels));
    RETURN_IF_ERROR(Field(m, path, "annotations", out.annotations));
    RETURN_IF_ERROR(Field(m, path, "ownerReferences", out.owner_references));
    return Field(m, path, "finalizers", out.finalizers);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, NodeSelectorRequirement& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "key", out.key));
    RETURN_IF_ERROR(Field(m, path, "operator", out.operator_));
    RETURN_IF_ERROR(Field(m, path, "values", out.values));
    return Field(m, path, "minValues", out.min_values);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, NodeSelectorTerm& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "matchExpressions", out.match_expressions));
    return Field(m, path, "matchFields", out.match_fields);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, PreferredSchedulingTerm& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "weight", out.weight));
    return Field(m, path, "preference", out.preference);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, NodeAffinity& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    constexpr std::string_view kRequired = "requiredDuringSchedulingIgnoredDuringExecution";
    if (const YAML::Node* req = m.Find(kRequired); req != nullptr && !req->IsNull()) {
      std::string rpath = Join(path, kRequired);
      MapView rm;
      RETURN_IF_ERROR(Map(*req, rpath, rm));
      std::vector<NodeSelectorTerm> terms;
      RETURN_IF_ERROR(Field(rm, rpath, "nodeSelectorTerms", terms));
      out.required = std::move(terms);
    }
    return Field(m, path, "preferredDuringSchedulingIgnoredDuringExecution", out.preferred);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, LabelSelectorRequirement& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "key", out.key));
    RETURN_IF_ERROR(Field(m, path, "operator", out.operator_));
    return Field(m, path, "values", out.values);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, LabelSelector& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "matchLabels", out.match_labels));
    return Field(m, path, "matchExpressions", out.match_expressions);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, PodAffinityTerm& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "labelSelector", out.label_selector));
    RETURN_IF_ERROR(Field(m, path, "namespaces", out.namespaces));
    RETURN_IF_ERROR(Field(m, path, "namespaceSelector", out.namespace_selector));
    RETURN_IF_ERROR(Field(m, path, "topologyKey", out.topology_key));
    RETURN_IF_ERROR(Field(m, path, "matchLabelKeys", out.match_label_keys));
    return Field(m, path, "mismatchLabelKeys", out.mismatch_label_keys);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, WeightedPodAffinityTerm& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "weight", out.weight));
    return Field(m, path, "podAffinityTerm", out.pod_affinity_term);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, PodAffinity& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "requiredDuringSchedulingIgnoredDuringExecution", out.required));
    return Field(m, path, "preferredDuringSchedulingIgnoredDuringExecution", out.preferred);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, Affinity& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "nodeAffinity", out.node_affinity));
    RETURN_IF_ERROR(Field(m, path, "podAffinity", out.pod_affinity));
    return Field(m, path, "podAntiAffinity", out.pod_anti_affinity);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, Taint& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "key", out.key));
    RETURN_IF_ERROR(Field(m, path, "value", out.value));
    return Field(m, path, "effect", out.effect);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, Toleration& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "key", out.key));
    RETURN_IF_ERROR(Field(m, path, "operator", out.operator_));
    RETURN_IF_ERROR(Field(m, path, "value", out.value));
    RETURN_IF_ERROR(Field(m, path, "effect", out.effect));
    return Field(m, path, "tolerationSeconds", out.toleration_seconds);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, TopologySpreadConstraint& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "maxSkew", out.max_skew));
    RETURN_IF_ERROR(Field(m, path, "topologyKey", out.topology_key));
    RETURN_IF_ERROR(Field(m, path, "whenUnsatisfiable", out.when_unsatisfiable));
    RETURN_IF_ERROR(Field(m, path, "labelSelector", out.label_selector));
    RETURN_IF_ERROR(Field(m, path, "minDomains", out.min_domains));
    RETURN_IF_ERROR(Field(m, path, "nodeAffinityPolicy", out.node_affinity_policy));
    RETURN_IF_ERROR(Field(m, path, "nodeTaintsPolicy", out.node_taints_policy));
    return Field(m, path, "matchLabelKeys", out.match_label_keys);
  }

  // ---- core/v1 Pod ----

  absl::Status Decode(const YAML::Node& n, std::string_view path, ContainerPort& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "name", out.name));
    RETURN_IF_ERROR(Field(m, path, "containerPort", out.container_port));
    RETURN_IF_ERROR(Field(m, path, "hostPort", out.host_port));
    RETURN_IF_ERROR(Field(m, path, "hostIP", out.host_ip));
    return Field(m, path, "protocol", out.protocol);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, ResourceRequirements& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "requests", out.requests));
    return Field(m, path, "limits", out.limits);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, Container& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "name", out.name));
    RETURN_IF_ERROR(Field(m, path, "image", out.image));
    RETURN_IF_ERROR(Field(m, path, "resources", out.resources));
    RETURN_IF_ERROR(Field(m, path, "ports", out.ports));
    return Field(m, path, "restartPolicy", out.restart_policy);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, PersistentVolumeClaimSpec& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "storageClassName", out.storage_class_name));
    return Field(m, path, "volumeName", out.volume_name);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, Volume& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "name", out.name));
    if (const YAML::Node* pvc = m.Find("persistentVolumeClaim"); pvc != nullptr && !pvc->IsNull()) {
      std::string ppath = Join(path, "persistentVolumeClaim");
      MapView pm;
      RETURN_IF_ERROR(Map(*pvc, ppath, pm));
      std::string claim;
      RETURN_IF_ERROR(Field(pm, ppath, "claimName", claim));
      out.pvc_claim_name = std::move(claim);
    }
    if (const YAML::Node* eph = m.Find("ephemeral"); eph != nullptr && !eph->IsNull()) {
      std::string epath = Join(path, "ephemeral");
      MapView em;
      RETURN_IF_ERROR(Map(*eph, epath, em));
      std::string tpath = Join(epath, "volumeClaimTemplate");
      MapView tm;
      RETURN_IF_ERROR(Sub(em, epath, "volumeClaimTemplate", tm));
      PersistentVolumeClaimSpec spec;
      RETURN_IF_ERROR(Field(tm, tpath, "spec", spec));
      out.ephemeral = std::move(spec);
    }
    return absl::OkStatus();
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, PodSpec& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "containers", out.containers));
    RETURN_IF_ERROR(Field(m, path, "initContainers", out.init_containers));
    RETURN_IF_ERROR(Field(m, path, "overhead", out.overhead));
    RETURN_IF_ERROR(Field(m, path, "nodeSelector", out.node_selector));
    RETURN_IF_ERROR(Field(m, path, "affinity", out.affinity));
    RETURN_IF_ERROR(Field(m, path, "tolerations", out.tolerations));
    RETURN_IF_ERROR(Field(m, path, "topologySpreadConstraints", out.topology_spread_constraints));
    RETURN_IF_ERROR(Field(m, path, "volumes", out.volumes));
    RETURN_IF_ERROR(Field(m, path, "nodeName", out.node_name));
    RETURN_IF_ERROR(Field(m, path, "schedulerName", out.scheduler_name));
    RETURN_IF_ERROR(Field(m, path, "priorityClassName", out.priority_class_name));
    RETURN_IF_ERROR(Field(m, path, "priority", out.priority));
    RETURN_IF_ERROR(Field(m, path, "restartPolicy", out.restart_policy));
    return Field(m, path, "serviceAccountName", out.service_account_name);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, PodCondition& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "type", out.type));
    RETURN_IF_ERROR(Field(m, path, "status", out.status));
    RETURN_IF_ERROR(Field(m, path, "reason", out.reason));
    return Field(m, path, "message", out.message);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, PodStatus& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "phase", out.phase));
    RETURN_IF_ERROR(Field(m, path, "conditions", out.conditions));
    return Field(m, path, "nominatedNodeName", out.nominated_node_name);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, PodTemplateSpec& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "metadata", out.metadata));
    return Field(m, path, "spec", out.spec);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, NodeCondition& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "type", out.type));
    RETURN_IF_ERROR(Field(m, path, "status", out.status));
    RETURN_IF_ERROR(Field(m, path, "reason", out.reason));
    return Field(m, path, "message", out.message);
  }

  // ---- karpenter.sh/v1 ----

  absl::Status Decode(const YAML::Node& n, std::string_view path, NodeClassReference& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "group", out.group));
    RETURN_IF_ERROR(Field(m, path, "kind", out.kind));
    return Field(m, path, "name", out.name);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, Budget& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "reasons", out.reasons));
    RETURN_IF_ERROR(Field(m, path, "nodes", out.nodes));
    RETURN_IF_ERROR(Field(m, path, "schedule", out.schedule));
    return Field(m, path, "duration", out.duration);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, Condition& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "type", out.type));
    RETURN_IF_ERROR(Field(m, path, "status", out.status));
    RETURN_IF_ERROR(Field(m, path, "reason", out.reason));
    RETURN_IF_ERROR(Field(m, path, "message", out.message));
    RETURN_IF_ERROR(Field(m, path, "lastTransitionTime", out.last_transition_time));
    return Field(m, path, "observedGeneration", out.observed_generation);
  }

  // Fields shared by a NodePool's template spec and a NodeClaim's spec. `requirements` and
  // `nodeClassRef` are required by both CRDs; an explicitly empty requirements list is allowed.
  template <typename Spec>
  absl::Status DecodeNodeClaimSpecCommon(const MapView& m, std::string_view path, Spec& out) {
    RETURN_IF_ERROR(Field(m, path, "taints", out.taints));
    RETURN_IF_ERROR(Field(m, path, "startupTaints", out.startup_taints));
    const YAML::Node* reqs = m.Find("requirements");
    if (reqs == nullptr || reqs->IsNull()) {
      return Err(Join(path, "requirements"), "Required value");
    }
    RETURN_IF_ERROR(Field(m, path, "requirements", out.requirements));
    const YAML::Node* ref = m.Find("nodeClassRef");
    if (ref == nullptr || ref->IsNull()) return Err(Join(path, "nodeClassRef"), "Required value");
    RETURN_IF_ERROR(Field(m, path, "nodeClassRef", out.node_class_ref));
    RETURN_IF_ERROR(DurationField(m, path, "expireAfter", /*allow_never=*/true, out.expire_after));
    return DurationField(m, path, "terminationGracePeriod", /*allow_never=*/false,
                         out.termination_grace_period);
  }

  absl::Status DecodeNodePool(const MapView& doc, NodePool& out) {
    const YAML::Node* spec_node = doc.Find("spec");
    if (spec_node == nullptr || spec_node->IsNull()) return Err("spec", "Required value");
    MapView spec;
    RETURN_IF_ERROR(Map(*spec_node, "spec", spec));
    const YAML::Node* tmpl_node = spec.Find("template");
    if (tmpl_node == nullptr || tmpl_node->IsNull()) return Err("spec.template", "Required value");
    MapView tmpl;
    RETURN_IF_ERROR(Map(*tmpl_node, "spec.template", tmpl));
    MapView tmeta;
    RETURN_IF_ERROR(Sub(tmpl, "spec.template", "metadata", tmeta));
    RETURN_IF_ERROR(Field(tmeta, "spec.template.metadata", "labels", out.template_.labels));
    RETURN_IF_ERROR(
        Field(tmeta, "spec.template.metadata", "annotations", out.template_.annotations));
    const YAML::Node* tspec_node = tmpl.Find("spec");
    if (tspec_node == nullptr || tspec_node->IsNull()) {
      return Err("spec.template.spec", "Required value");
    }
    MapView tspec;
    RETURN_IF_ERROR(Map(*tspec_node, "spec.template.spec", tspec));
    RETURN_IF_ERROR(DecodeNodeClaimSpecCommon(tspec, "spec.template.spec", out.template_.spec));

    MapView disruption;
    RETURN_IF_ERROR(Sub(spec, "spec", "disruption", disruption));
    RETURN_IF_ERROR(Field(disruption, "spec.disruption", "consolidationPolicy",
                          out.disruption.consolidation_policy));
    RETURN_IF_ERROR(DurationField(disruption, "spec.disruption", "consolidateAfter",
                                  /*allow_never=*/true, out.disruption.consolidate_after));
    RETURN_IF_ERROR(Field(disruption, "spec.disruption", "budgets", out.disruption.budgets));
    RETURN_IF_ERROR(Field(spec, "spec", "limits", out.limits));
    RETURN_IF_ERROR(Field(spec, "spec", "weight", out.weight));
    RETURN_IF_ERROR(Field(spec, "spec", "replicas", out.replicas));
    MapView status;
    RETURN_IF_ERROR(Sub(doc, "", "status", status));
    return Field(status, "status", "conditions", out.status_conditions);
  }

  absl::Status DecodeNodeClaim(const MapView& doc, NodeClaim& out) {
    const YAML::Node* spec_node = doc.Find("spec");
    if (spec_node == nullptr || spec_node->IsNull()) return Err("spec", "Required value");
    MapView spec;
    RETURN_IF_ERROR(Map(*spec_node, "spec", spec));
    RETURN_IF_ERROR(DecodeNodeClaimSpecCommon(spec, "spec", out.spec));
    MapView resources;
    RETURN_IF_ERROR(Sub(spec, "spec", "resources", resources));
    RETURN_IF_ERROR(Field(resources, "spec.resources", "requests", out.spec.resource_requests));
    MapView status;
    RETURN_IF_ERROR(Sub(doc, "", "status", status));
    RETURN_IF_ERROR(Field(status, "status", "nodeName", out.status.node_name));
    RETURN_IF_ERROR(Field(status, "status", "providerID", out.status.provider_id));
    RETURN_IF_ERROR(Field(status, "status", "imageID", out.status.image_id));
    RETURN_IF_ERROR(Field(status, "status", "capacity", out.status.capacity));
    RETURN_IF_ERROR(Field(status, "status", "allocatable", out.status.allocatable));
    return Field(status, "status", "conditions", out.status.conditions);
  }

  // ---- karpenter.k8s.aws/v1 ----

  absl::Status Decode(const YAML::Node& n, std::string_view path, SelectorTerm& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "tags", out.tags));
    RETURN_IF_ERROR(Field(m, path, "id", out.id));
    RETURN_IF_ERROR(Field(m, path, "name", out.name));
    RETURN_IF_ERROR(Field(m, path, "ownerID", out.owner_id));
    return Field(m, path, "instanceMatchCriteria", out.instance_match_criteria);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, AMISelectorTerm& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "alias", out.alias));
    RETURN_IF_ERROR(Field(m, path, "tags", out.tags));
    RETURN_IF_ERROR(Field(m, path, "id", out.id));
    RETURN_IF_ERROR(Field(m, path, "name", out.name));
    RETURN_IF_ERROR(Field(m, path, "owner", out.owner));
    return Field(m, path, "ssmParameter", out.ssm_parameter);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, BlockDevice& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "deleteOnTermination", out.delete_on_termination));
    RETURN_IF_ERROR(Field(m, path, "encrypted", out.encrypted));
    RETURN_IF_ERROR(Field(m, path, "iops", out.iops));
    RETURN_IF_ERROR(Field(m, path, "kmsKeyID", out.kms_key_id));
    RETURN_IF_ERROR(Field(m, path, "snapshotID", out.snapshot_id));
    RETURN_IF_ERROR(Field(m, path, "throughput", out.throughput));
    RETURN_IF_ERROR(Field(m, path, "volumeInitializationRate", out.volume_initialization_rate));
    RETURN_IF_ERROR(Field(m, path, "volumeSize", out.volume_size));
    return Field(m, path, "volumeType", out.volume_type);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, BlockDeviceMapping& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "deviceName", out.device_name));
    RETURN_IF_ERROR(Field(m, path, "rootVolume", out.root_volume));
    return Field(m, path, "ebs", out.ebs);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, MetadataOptions& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "httpEndpoint", out.http_endpoint));
    RETURN_IF_ERROR(Field(m, path, "httpProtocolIPv6", out.http_protocol_ipv6));
    RETURN_IF_ERROR(Field(m, path, "httpPutResponseHopLimit", out.http_put_response_hop_limit));
    return Field(m, path, "httpTokens", out.http_tokens);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, KubeletConfiguration& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "clusterDNS", out.cluster_dns));
    RETURN_IF_ERROR(Field(m, path, "maxPods", out.max_pods));
    RETURN_IF_ERROR(Field(m, path, "podsPerCore", out.pods_per_core));
    RETURN_IF_ERROR(Field(m, path, "systemReserved", out.system_reserved));
    RETURN_IF_ERROR(Field(m, path, "kubeReserved", out.kube_reserved));
    RETURN_IF_ERROR(Field(m, path, "evictionHard", out.eviction_hard));
    RETURN_IF_ERROR(Field(m, path, "evictionSoft", out.eviction_soft));
    RETURN_IF_ERROR(Field(m, path, "evictionSoftGracePeriod", out.eviction_soft_grace_period));
    RETURN_IF_ERROR(Field(m, path, "evictionMaxPodGracePeriod", out.eviction_max_pod_grace_period));
    RETURN_IF_ERROR(
        Field(m, path, "imageGCHighThresholdPercent", out.image_gc_high_threshold_percent));
    RETURN_IF_ERROR(
        Field(m, path, "imageGCLowThresholdPercent", out.image_gc_low_threshold_percent));
    return Field(m, path, "cpuCFSQuota", out.cpu_cfs_quota);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, NetworkInterface& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "networkCardIndex", out.network_card_index));
    RETURN_IF_ERROR(Field(m, path, "deviceIndex", out.device_index));
    return Field(m, path, "interfaceType", out.interface_type);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, ConnectionTracking& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "tcpEstablishedTimeout", out.tcp_established_timeout));
    RETURN_IF_ERROR(Field(m, path, "udpStreamTimeout", out.udp_stream_timeout));
    return Field(m, path, "udpTimeout", out.udp_timeout);
  }

  absl::Status DecodeEC2NodeClass(const MapView& doc, EC2NodeClass& out) {
    const YAML::Node* spec_node = doc.Find("spec");
    if (spec_node == nullptr || spec_node->IsNull()) return Err("spec", "Required value");
    MapView s;
    RETURN_IF_ERROR(Map(*spec_node, "spec", s));
    RETURN_IF_ERROR(Field(s, "spec", "subnetSelectorTerms", out.subnet_selector_terms));
    RETURN_IF_ERROR(
        Field(s, "spec", "securityGroupSelectorTerms", out.security_group_selector_terms));
    RETURN_IF_ERROR(Field(s, "spec", "capacityReservationSelectorTerms",
                          out.capacity_reservation_selector_terms));
    RETURN_IF_ERROR(Field(s, "spec", "placementGroupSelector", out.placement_group_selector));
    RETURN_IF_ERROR(Field(s, "spec", "amiSelectorTerms", out.ami_selector_terms));
    RETURN_IF_ERROR(Field(s, "spec", "amiFamily", out.ami_family));
    RETURN_IF_ERROR(Field(s, "spec", "userData", out.user_data));
    RETURN_IF_ERROR(Field(s, "spec", "role", out.role));
    RETURN_IF_ERROR(Field(s, "spec", "instanceProfile", out.instance_profile));
    RETURN_IF_ERROR(Field(s, "spec", "tags", out.tags));
    RETURN_IF_ERROR(Field(s, "spec", "kubelet", out.kubelet));
    RETURN_IF_ERROR(Field(s, "spec", "blockDeviceMappings", out.block_device_mappings));
    RETURN_IF_ERROR(Field(s, "spec", "instanceStorePolicy", out.instance_store_policy));
    RETURN_IF_ERROR(Field(s, "spec", "networkInterfaces", out.network_interfaces));
    RETURN_IF_ERROR(Field(s, "spec", "detailedMonitoring", out.detailed_monitoring));
    RETURN_IF_ERROR(Field(s, "spec", "associatePublicIPAddress", out.associate_public_ip_address));
    RETURN_IF_ERROR(Field(s, "spec", "ipPrefixCount", out.ip_prefix_count));
    RETURN_IF_ERROR(Field(s, "spec", "metadataOptions", out.metadata_options));
    RETURN_IF_ERROR(Field(s, "spec", "connectionTracking", out.connection_tracking));
    MapView cpu;
    RETURN_IF_ERROR(Sub(s, "spec", "cpuOptions", cpu));
    RETURN_IF_ERROR(
        Field(cpu, "spec.cpuOptions", "nestedVirtualization", out.nested_virtualization));
    return Field(s, "spec", "context", out.context);
  }

  // ---- core, apps, batch, policy ----

  absl::Status DecodePod(const MapView& doc, Pod& out) {
    RETURN_IF_ERROR(Field(doc, "", "spec", out.spec));
    return Field(doc, "", "status", out.status);
  }

  absl::Status DecodeNode(const MapView& doc, Node& out) {
    MapView spec;
    RETURN_IF_ERROR(Sub(doc, "", "spec", spec));
    RETURN_IF_ERROR(Field(spec, "spec", "providerID", out.provider_id));
    RETURN_IF_ERROR(Field(spec, "spec", "unschedulable", out.unschedulable));
    RETURN_IF_ERROR(Field(spec, "spec", "taints", out.taints));
    MapView status;
    RETURN_IF_ERROR(Sub(doc, "", "status", status));
    RETURN_IF_ERROR(Field(status, "status", "capacity", out.capacity));
    RETURN_IF_ERROR(Field(status, "status", "allocatable", out.allocatable));
    return Field(status, "status", "conditions", out.conditions);
  }

  // Deployment, ReplicaSet, StatefulSet: replicas, selector, template.
  template <typename W>
  absl::Status DecodeReplicated(const MapView& doc, W& out, MapView& spec) {
    RETURN_IF_ERROR(Sub(doc, "", "spec", spec));
    RETURN_IF_ERROR(Field(spec, "spec", "replicas", out.replicas));
    RETURN_IF_ERROR(Field(spec, "spec", "selector", out.selector));
    return Field(spec, "spec", "template", out.template_);
  }

  absl::Status DecodeDeployment(const MapView& doc, Deployment& out) {
    MapView spec;
    return DecodeReplicated(doc, out, spec);
  }

  absl::Status DecodeReplicaSet(const MapView& doc, ReplicaSet& out) {
    MapView spec;
    return DecodeReplicated(doc, out, spec);
  }

  absl::Status DecodeStatefulSet(const MapView& doc, StatefulSet& out) {
    MapView spec;
    RETURN_IF_ERROR(DecodeReplicated(doc, out, spec));
    RETURN_IF_ERROR(Field(spec, "spec", "serviceName", out.service_name));
    return Field(spec, "spec", "volumeClaimTemplates", out.volume_claim_templates);
  }

  absl::Status DecodeJob(const MapView& doc, Job& out) {
    MapView spec;
    RETURN_IF_ERROR(Sub(doc, "", "spec", spec));
    RETURN_IF_ERROR(Field(spec, "spec", "parallelism", out.parallelism));
    RETURN_IF_ERROR(Field(spec, "spec", "completions", out.completions));
    return Field(spec, "spec", "template", out.template_);
  }

  absl::Status DecodeDaemonSet(const MapView& doc, DaemonSet& out) {
    MapView spec;
    RETURN_IF_ERROR(Sub(doc, "", "spec", spec));
    RETURN_IF_ERROR(Field(spec, "spec", "selector", out.selector));
    return Field(spec, "spec", "template", out.template_);
  }

  // ---- Storage ----

  // A StatefulSet's volumeClaimTemplates item: a claim's metadata and spec (status is not read).
  absl::Status Decode(const YAML::Node& n, std::string_view path, PersistentVolumeClaim& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "metadata", out.metadata));
    return Field(m, path, "spec", out.spec);
  }

  absl::Status DecodePVC(const MapView& doc, PersistentVolumeClaim& out) {
    RETURN_IF_ERROR(Field(doc, "", "spec", out.spec));
    MapView status;
    RETURN_IF_ERROR(Sub(doc, "", "status", status));
    return Field(status, "status", "phase", out.phase);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, CSIPersistentVolumeSource& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "driver", out.driver));
    return Field(m, path, "volumeHandle", out.volume_handle);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path,
                      AWSElasticBlockStoreVolumeSource& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    return Field(m, path, "volumeID", out.volume_id);
  }

  absl::Status DecodePV(const MapView& doc, PersistentVolume& out) {
    MapView spec;
    RETURN_IF_ERROR(Sub(doc, "", "spec", spec));
    RETURN_IF_ERROR(Field(spec, "spec", "storageClassName", out.spec.storage_class_name));
    RETURN_IF_ERROR(Field(spec, "spec", "csi", out.spec.csi));
    RETURN_IF_ERROR(Field(spec, "spec", "awsElasticBlockStore", out.spec.aws_elastic_block_store));
    // Only the presence of a local or hostPath source matters.
    auto present = [&](std::string_view key, bool& flag) -> absl::Status {
      MapView source;
      RETURN_IF_ERROR(Sub(spec, "spec", key, source));
      const YAML::Node* v = spec.Find(key);
      flag = v != nullptr && !v->IsNull();
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(present("local", out.spec.local));
    RETURN_IF_ERROR(present("hostPath", out.spec.host_path));
    MapView affinity;
    RETURN_IF_ERROR(Sub(spec, "spec", "nodeAffinity", affinity));
    if (const YAML::Node* req = affinity.Find("required"); req != nullptr && !req->IsNull()) {
      std::string rpath = "spec.nodeAffinity.required";
      MapView rm;
      RETURN_IF_ERROR(Map(*req, rpath, rm));
      std::vector<NodeSelectorTerm> terms;
      RETURN_IF_ERROR(Field(rm, rpath, "nodeSelectorTerms", terms));
      out.spec.node_affinity = std::move(terms);
    }
    MapView status;
    RETURN_IF_ERROR(Sub(doc, "", "status", status));
    return Field(status, "status", "phase", out.phase);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path,
                      TopologySelectorLabelRequirement& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "key", out.key));
    return Field(m, path, "values", out.values);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, TopologySelectorTerm& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    return Field(m, path, "matchLabelExpressions", out.match_label_expressions);
  }

  // StorageClass keeps its fields at the top level (no spec).
  absl::Status DecodeStorageClass(const MapView& doc, StorageClass& out) {
    RETURN_IF_ERROR(Field(doc, "", "provisioner", out.provisioner));
    RETURN_IF_ERROR(Field(doc, "", "volumeBindingMode", out.volume_binding_mode));
    return Field(doc, "", "allowedTopologies", out.allowed_topologies);
  }

  absl::Status Decode(const YAML::Node& n, std::string_view path, CSINodeDriver& out) {
    MapView m;
    RETURN_IF_ERROR(Map(n, path, m));
    RETURN_IF_ERROR(Field(m, path, "name", out.name));
    RETURN_IF_ERROR(Field(m, path, "nodeID", out.node_id));
    MapView alloc;
    RETURN_IF_ERROR(Sub(m, path, "allocatable", alloc));
    RETURN_IF_ERROR(Field(alloc, Join(path, "allocatable"), "count", out.allocatable_count));
    return Field(m, path, "topologyKeys", out.topology_keys);
  }

  absl::Status DecodeCSINode(const MapView& doc, CSINode& out) {
    MapView spec;
    RETURN_IF_ERROR(Sub(doc, "", "spec", spec));
    return Field(spec, "spec", "drivers", out.drivers);
  }

  absl::Status DecodePDB(const MapView& doc, PodDisruptionBudget& out) {
    MapView spec;
    RETURN_IF_ERROR(Sub(doc, "", "spec", spec));
    RETURN_IF_ERROR(IntOrStringField(spec, "spec", "minAvailable", out.min_available));
    RETURN_IF_ERROR(IntOrStringField(spec, "spec", "maxUnavailable", out.max_unavailable));
    return Field(spec, "spec", "selector", out.selector);
  }

 private:
  int64_t budget_;
  std::string prefix_;
};

// Decodes documents of one input into typed objects.
class DocumentDecoder {
 public:
  DocumentDecoder(std::string_view file, int64_t budget, Manifests& out)
      : file_(file), decoder_(budget), out_(out) {}

  // `where` locates the object for messages before its kind and name are known.
  absl::Status DecodeObject(const YAML::Node& node, int document, const std::string& where,
                            int list_depth) {
    decoder_.set_prefix(StrCat(FilePrefix(), where, ": "));
    MapView doc;
    RETURN_IF_ERROR(decoder_.Map(node, "", doc));
    std::string kind, api_version;
    RETURN_IF_ERROR(decoder_.Field(doc, "", "kind", kind));
    if (kind.empty()) return decoder_.Err("kind", "Required value");
    RETURN_IF_ERROR(decoder_.Field(doc, "", "apiVersion", api_version));
    if (api_version.empty()) return decoder_.Err("apiVersion", "Required value");

    if (kind == "List" || (kind.size() > 4 && kind.ends_with("List") &&
                           FindKind(std::string_view(kind).substr(0, kind.size() - 4)))) {
      if (list_depth >= kMaxListDepth) return decoder_.Err("items", "Lists nested too deeply");
      const YAML::Node* items = doc.Find("items");
      if (items == nullptr || items->IsNull()) return absl::OkStatus();
      if (!items->IsSequence()) return decoder_.TypeError("items", "a list", *items);
      size_t i = 0;
      for (auto it = items->begin(); it != items->end(); ++it, ++i) {
        RETURN_IF_ERROR(decoder_.Visit("items"));
        RETURN_IF_ERROR(DecodeObject(*it, document, At(Join(where, "items"), i), list_depth + 1));
      }
      return absl::OkStatus();
    }

    const KindInfo* info = FindKind(kind);
    if (info == nullptr) {
      ++out_.ignored_kinds[kind];
      return absl::OkStatus();
    }
    ObjectMeta meta;
    decoder_.set_prefix(StrCat(FilePrefix(), kind, " (", where, "): "));
    RETURN_IF_ERROR(decoder_.Field(doc, "", "metadata", meta));
    if (meta.name.empty() && meta.generate_name.empty()) {
      return decoder_.Err("metadata.name", "Required value: name or generateName is required");
    }
    decoder_.set_prefix(internal::ObjectPrefix(file_, kind, meta, info->namespaced));
    if (api_version != info->api_version) {
      std::string_view want_group = GroupOf(info->api_version);
      std::string detail = GroupOf(api_version) == want_group
                               ? StrCat("unsupported apiVersion ", Quote(api_version), " for ",
                                        kind, "; Joinery reads ", info->api_version)
                               : StrCat("unsupported apiVersion ", Quote(api_version), " for ",
                                        kind, "; ", kind, " is in ", info->api_version);
      return decoder_.Err("apiVersion", detail);
    }
    Source source{std::string(file_), document};
    if (kind == "NodePool")
      return Add(doc, std::move(meta), source, &Decoder::DecodeNodePool, out_.node_pools);
    if (kind == "NodeClaim")
      return Add(doc, std::move(meta), source, &Decoder::DecodeNodeClaim, out_.node_claims);
    if (kind == "EC2NodeClass") {
      return Add(doc, std::move(meta), source, &Decoder::DecodeEC2NodeClass, out_.node_classes);
    }
    if (kind == "Pod") return Add(doc, std::move(meta), source, &Decoder::DecodePod, out_.pods);
    if (kind == "Node") return Add(doc, std::move(meta), source, &Decoder::DecodeNode, out_.nodes);
    if (kind == "Deployment") {
      return Add(doc, std::move(meta), source, &Decoder::DecodeDeployment, out_.deployments);
    }
    if (kind == "ReplicaSet") {
      return Add(doc, std::move(meta), source, &Decoder::DecodeReplicaSet, out_.replica_sets);
    }
    if (kind == "StatefulSet") {
      return Add(doc, std::move(meta), source, &Decoder::DecodeStatefulSet, out_.stateful_sets);
    }
    if (kind == "Job") return Add(doc, std::move(meta), source, &Decoder::DecodeJob, out_.jobs);
    if (kind == "DaemonSet") {
      return Add(doc, std::move(meta), source, &Decoder::DecodeDaemonSet, out_.daemon_sets);
    }
    if (kind == "PersistentVolumeClaim") {
      return Add(doc, std::move(meta), source, &Decoder::DecodePVC, out_.persistent_volume_claims);
    }
    if (kind == "PersistentVolume") {
      return Add(doc, std::move(meta), source, &Decoder::DecodePV, out_.persistent_volumes);
    }
    if (kind == "StorageClass") {
      return Add(doc, std::move(meta), source, &Decoder::DecodeStorageClass, out_.storage_classes);
    }
    if (kind == "CSINode") {
      return Add(doc, std::move(meta), source, &Decoder::DecodeCSINode, out_.csi_nodes);
    }
    // The kind table and this dispatch list the same kinds.
    return Add(doc, std::move(meta), source, &Decoder::DecodePDB, out_.pod_disruption_budgets);
  }

 private:
  std::string FilePrefix() const { return file_.empty() ? "" : StrCat(file_, ": "); }

  template <typename T>
  absl::Status Add(const MapView& doc, ObjectMeta meta, const Source& source,
                   absl::Status (Decoder::*decode)(const MapView&, T&), std::vector<T>& list) {
    T obj;
    obj.metadata = std::move(meta);
    obj.source = source;
    RETURN_IF_ERROR((decoder_.*decode)(doc, obj));
    list.push_back(std::move(obj));
    return absl::OkStatus();
  }

  std::string_view file_;
  Decoder decoder_;
  Manifests& out_;
};

template <typename T>
void AppendAll(std::vector<T>& to, std::vector<T>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

void AppendManifests(Manifests& to, Manifests& from) {
  AppendAll(to.node_pools, from.node_pools);
  AppendAll(to.node_classes, from.node_classes);
  AppendAll(to.node_claims, from.node_claims);
  AppendAll(to.pods, from.pods);
  AppendAll(to.nodes, from.nodes);
  AppendAll(to.deployments, from.deployments);
  AppendAll(to.replica_sets, from.replica_sets);
  AppendAll(to.stateful_sets, from.stateful_sets);
  AppendAll(to.jobs, from.jobs);
  AppendAll(to.daemon_sets, from.daemon_sets);
  AppendAll(to.pod_disruption_budgets, from.pod_disruption_budgets);
  AppendAll(to.persistent_volume_claims, from.persistent_volume_claims);
  AppendAll(to.persistent_volumes, from.persistent_volumes);
  AppendAll(to.storage_classes, from.storage_classes);
  AppendAll(to.csi_nodes, from.csi_nodes);
  for (const auto& [k, n] : from.ignored_kinds) to.ignored_kinds[k] += n;
}

std::string Location(std::string_view file, const YAML::Mark& mark) {
  std::string where = file.empty() ? std::string("<input>") : std::string(file);
  if (mark.is_null() || mark.line < 0) return where;
  return StrCat(where, ":", mark.line + 1, ":", mark.column + 1);
}

// Builds one document's node graph from parser events, as YAML::LoadAll() does internally, so that
// documents are parsed and decoded one at a time and memory follows the largest document rather
// than the whole input (yaml-cpp needs a few hundred bytes per node). It also adds two guards that
// yaml-cpp 0.7 lacks:
//  - a cap on nodes per document;
//  - progress: after a top-level flow collection followed by ',' ("{a: b},", "[a],b") the parser
//    returns empty documents forever without consuming input (LoadAll() then never returns). A
//    document that starts where the previous one did is an error.
class DocumentBuilder : public YAML::EventHandler {
 public:
  // `last_start` carries the previous document's start offset (-1 before the first document).
  DocumentBuilder(int64_t max_nodes, int64_t& last_start)
      : max_nodes_(max_nodes), last_start_(last_start) {}

  const YAML::Node& root() const { return root_; }
  // Where the document's root node starts; null for an empty document.
  const YAML::Mark& root_mark() const { return root_mark_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (last_start_ >= 0 && mark.pos <= last_start_) {
      throw YAML::ParserException(mark, "unexpected content after the end of a document");
    }
    last_start_ = mark.pos;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Add(mark, YAML::Node(YAML::NodeType::Null), anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      throw YAML::ParserException(mark, "the referenced anchor is not defined");
    }
    Add(mark, it->second, YAML::NullAnchor);  // the same node again, not a copy
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    YAML::Node node(value);
    node.SetTag(tag);  // "!" for quoted and block scalars, "?" for plain ones
    Add(mark, node, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    StartCollection(mark, YAML::NodeType::Sequence, tag, anchor);
  }
  void OnSequenceEnd() override { EndCollection(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    StartCollection(mark, YAML::NodeType::Map, tag, anchor);
  }
  void OnMapEnd() override { EndCollection(); }

 private:
  struct Frame {
    YAML::Node node;
    std::optional<YAML::Node> key;  // maps: a key waiting for its value
  };

  void StartCollection(const YAML::Mark& mark, YAML::NodeType::value type, const std::string& tag,
                       YAML::anchor_t anchor) {
    YAML::Node node(type);
    node.SetTag(tag);
    Add(mark, node, anchor);
    stack_.push_back(Frame{node, std::nullopt});
  }

  void EndCollection() {
    // The parser balances start and end events.
    if (!stack_.empty()) stack_.pop_back();
  }

  void Add(const YAML::Mark& mark, const YAML::Node& node, YAML::anchor_t anchor) {
    if (++nodes_ > max_nodes_) {
      throw YAML::ParserException(
          mark, StrCat("a document may have at most ", max_nodes_, " nodes; split the input"));
    }
    if (anchor != YAML::NullAnchor) anchors_[anchor] = node;
    if (stack_.empty()) {
      root_ = node;
      root_mark_ = mark;
      return;
    }
    Frame& top = stack_.back();
    if (top.node.IsSequence()) {
      top.node.push_back(node);
    } else if (!top.key.has_value()) {
      top.key = node;
    } else {
      top.node.force_insert(*top.key, node);
      top.key.reset();
    }
  }

  const int64_t max_nodes_;
  int64_t& last_start_;
  int64_t nodes_ = 0;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, YAML::Node> anchors_;
  YAML::Node root_;
  YAML::Mark root_mark_ = YAML::Mark::null_mark();
};

bool IsNameStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool IsManifestFile(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// Reads a whole file of at most kMaxInputBytes.
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return absl::InvalidArgumentError(StrCat(path, ": ", ec.message()));
  if (size > kMaxInputBytes) {
    return absl::InvalidArgumentError(
        StrCat(path, ": file is ", size, " bytes; the limit is 64 MiB per input"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(StrCat(path, ": cannot open file"));
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) return absl::InvalidArgumentError(StrCat(path, ": read error"));
  // A file that grew between the size check and the read is cut at its checked size.
  return text;
}

// Expands `paths` into the list of files to read: files as given, directories recursively
// (*.yaml, *.yml, *.json), each directory's files in path order.
absl::StatusOr<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) {
      if (ec && ec != std::errc::no_such_file_or_directory) {
        return absl::InvalidArgumentError(StrCat(path, ": ", ec.message()));
      }
      return absl::InvalidArgumentError(StrCat(path, ": no such file or directory"));
    }
    if (!std::filesystem::is_directory(status)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    std::filesystem::recursive_directory_iterator it(
        path, std::filesystem::directory_options::skip_permission_denied, ec);
    if (ec) return absl::InvalidArgumentError(StrCat(path, ": ", ec.message()));
    for (; it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      std::error_code fec;
      if (it->is_regular_file(fec) && IsManifestFile(it->path())) {
        found.push_back(it->path().string());
      }
    }
    if (ec) return absl::InvalidArgumentError(StrCat(path, ": ", ec.message()));
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

}  // namespace

namespace internal {

absl::Status DecodeObjectNode(const YAML::Node& node, std::string_view file, std::string_view where,
                              int64_t budget, Manifests& out) {
  try {
    DocumentDecoder decoder(file, budget, out);
    return decoder.DecodeObject(node, 0, std::string(where), 0);
  } catch (const std::exception& e) {
    // Reading a built tree does not throw; this keeps the no-exception contract if it ever does.
    std::string what = file.empty() ? std::string(where) : StrCat(file, ": ", where);
    return absl::InvalidArgumentError(StrCat(what, ": cannot decode: ", e.what()));
  }
}

}  // namespace internal

absl::StatusOr<std::string> SubstituteEnv(std::string_view text, const DecodeOptions& options) {
  std::string out;
  out.reserve(text.size());
  int line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') ++line;
    if (c != '$') {
      out += c;
      continue;
    }
    if (i + 1 >= text.size()) {
      out += c;
      continue;
    }
    char next = text[i + 1];
    if (next == '$') {  // `$$` is a literal `$`
      out += '$';
      ++i;
      continue;
    }
    std::string_view name;
    size_t end = 0;  // index of the last character of the reference
    if (next == '{') {
      size_t close = text.find('}', i + 2);
      size_t newline = text.find('\n', i + 2);
      if (close == std::string_view::npos || close > newline) {
        return absl::InvalidArgumentError(StrCat(
            "line ", line, ": unterminated variable reference \"${\" (write $$ for a literal $)"));
      }
      name = text.substr(i + 2, close - i - 2);
      bool valid = !name.empty() && IsNameStart(name[0]);
      for (char n : name) valid = valid && IsNameChar(n);
      if (!valid) {
        return absl::InvalidArgumentError(
            StrCat("line ", line, ": invalid variable reference ", Quote(StrCat("${", name, "}")),
                   " (names are letters, digits and _; write $$ for a literal $)"));
      }
      end = close;
    } else if (IsNameStart(next)) {
      size_t j = i + 1;
      while (j < text.size() && IsNameChar(text[j])) ++j;
      name = text.substr(i + 1, j - i - 1);
      end = j - 1;
    } else {
      out += c;  // `$` before anything else ("$1", "$ ") stays as written, as in envsubst
      continue;
    }
    auto it = options.env.find(name);
    if (it == options.env.end()) {
      return absl::InvalidArgumentError(StrCat("line ", line, ": unknown variable \"", name,
                                               "\"; pass --env ", name,
                                               "=... (or write $$ for a literal $)"));
    }
    out += it->second;
    i = end;
  }
  return out;
}

absl::Status DecodeDocuments(std::string_view text, std::string_view file, Manifests& out) {
  std::string where = file.empty() ? std::string("<input>") : std::string(file);
  if (text.size() > kMaxInputBytes) {
    return absl::InvalidArgumentError(
        StrCat(where, ": input is ", text.size(), " bytes; the limit is 64 MiB per input"));
  }
  Manifests local;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    DocumentDecoder decoder(file, kBaseBudget + kBudgetPerByte * static_cast<int64_t>(text.size()),
                            local);
    int64_t last_start = -1;
    for (int i = 0;; ++i) {
      DocumentBuilder builder(kMaxNodesPerDocument, last_start);
      if (!parser.HandleNextDocument(builder)) break;
      const YAML::Node& doc = builder.root();
      if (!doc.IsDefined() || doc.IsNull()) continue;  // empty document
      std::string loc = StrCat("document ", i + 1);
      if (!builder.root_mark().is_null()) {
        StrAppend(loc, " (line ", builder.root_mark().line + 1, ")");
      }
      RETURN_IF_ERROR(decoder.DecodeObject(doc, i, loc, 0));
    }
  } catch (const YAML::DeepRecursion& e) {
    return absl::InvalidArgumentError(
        StrCat(Location(file, e.mark), ": invalid YAML: nesting is too deep"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat(Location(file, e.mark), ": invalid YAML: ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(StrCat(where, ": cannot decode: ", e.what()));
  }
  AppendManifests(out, local);
  return absl::OkStatus();
}

absl::StatusOr<Manifests> LoadManifests(const std::vector<std::string>& paths,
                                        const DecodeOptions& options) {
  ASSIGN_OR_RETURN(std::vector<std::string> files, ExpandPaths(paths));
  Manifests m;
  for (const std::string& file : files) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(file));
    absl::StatusOr<std::string> substituted = SubstituteEnv(text, options);
    if (!substituted.ok()) return Annotate(substituted.status(), file);
    RETURN_IF_ERROR(DecodeDocuments(*substituted, file, m));
  }
  ApplyDefaults(m);
  RETURN_IF_ERROR(ValidateManifests(m));
  return m;
}

}  // namespace joinery::api
