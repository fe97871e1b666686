#include "joinery/api/json.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "joinery/api/decode_internal.h"
#include "joinery/api/defaults.h"
#include "joinery/api/internal.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "yaml-cpp/yaml.h"

namespace joinery::api {
namespace {

using internal::Quote;
using json = nlohmann::json;

// Deeper JSON than this is refused rather than converted (the conversion recurses). Kubernetes
// objects of the kinds read here nest about 15 levels.
constexpr int kMaxDepth = 100;

// Same per-object budget as the text decoder's base budget, plus a few units per node (the decoder
// visits a map's keys and values).
constexpr int64_t kBaseBudget = 20'000;
constexpr int64_t kBudgetPerNode = 4;

// Converts JSON to the YAML node tree the manifest decoder reads, without going through text.
// JSON strings become quoted scalars (so "5" stays a string and a key "<<" is not a merge key);
// numbers and booleans become plain scalars, as they would be written in YAML.
class JsonToYaml {
 public:
  int64_t nodes() const { return nodes_; }

  // The tree for `j`; nullopt when it nests more than kMaxDepth levels.
  std::optional<YAML::Node> Convert(const json& j) {
    YAML::Node root = Make(j);
    if (!Fill(j, 1, root)) return std::nullopt;
    return root;
  }

 private:
  // Builds top-down: a child joins its parent before it gets children of its own, so that its
  // yaml-cpp memory pool is already the tree's and merging costs one node per insertion (bottom-up,
  // every level would merge its whole subtree again).
  bool Fill(const json& j, int depth, YAML::Node& node) {
    if (j.is_object()) {
      if (depth > kMaxDepth) return false;
      for (auto it = j.begin(); it != j.end(); ++it) {
        // managedFields is large (often half of an object) and never read.
        if (depth == 2 && it.key() == "managedFields") continue;
        YAML::Node child = Make(it.value());
        node.force_insert(String(it.key()), child);
        if (!Fill(it.value(), depth + 1, child)) return false;
      }
    } else if (j.is_array()) {
      if (depth > kMaxDepth) return false;
      for (const json& e : j) {
        YAML::Node child = Make(e);
        node.push_back(child);
        if (!Fill(e, depth + 1, child)) return false;
      }
    }
    return true;
  }

  // A scalar, or an empty map or sequence.
  YAML::Node Make(const json& j) {
    ++nodes_;
    switch (j.type()) {
      case json::value_t::object:
        return YAML::Node(YAML::NodeType::Map);
      case json::value_t::array:
        return YAML::Node(YAML::NodeType::Sequence);
      case json::value_t::string:
        return String(j.get_ref<const std::string&>());
      case json::value_t::boolean:
        return Plain(j.get<bool>() ? "true" : "false");
      case json::value_t::number_integer:
        return Plain(std::to_string(j.get<int64_t>()));
      case json::value_t::number_unsigned:
        return Plain(std::to_string(j.get<uint64_t>()));
      case json::value_t::number_float:
        return Plain(j.dump());
      case json::value_t::null:
      case json::value_t::discarded:
      case json::value_t::binary:
        break;
    }
    return YAML::Node(YAML::NodeType::Null);
  }

  static YAML::Node String(const std::string& s) {
    YAML::Node n(s);
    n.SetTag("!");  // a quoted scalar
    return n;
  }
  static YAML::Node Plain(const std::string& s) {
    YAML::Node n(s);
    n.SetTag("?");  // a plain scalar
    return n;
  }

  int64_t nodes_ = 0;
};

struct KindInfo {
  std::string_view kind;
  std::string_view api_version;
  bool namespaced;
};

// The kinds read from JSON (a subset of the manifest decoder's table).
constexpr KindInfo kKinds[] = {
    {"NodePool", "karpenter.sh/v1", false},
    {"NodeClaim", "karpenter.sh/v1", false},
    {"EC2NodeClass", "karpenter.k8s.aws/v1", false},
    {"Pod", "v1", true},
    {"Node", "v1", false},
    {"DaemonSet", "apps/v1", true},
    {"PodDisruptionBudget", "policy/v1", true},
    {"PersistentVolumeClaim", "v1", true},
    {"PersistentVolume", "v1", false},
    {"StorageClass", "storage.k8s.io/v1", false},
    {"CSINode", "storage.k8s.io/v1", false},
};

const KindInfo* FindKindInfo(std::string_view kind) {
  for (const KindInfo& k : kKinds) {
    if (k.kind == kind) return &k;
  }
  return nullptr;
}

std::string DescribeJson(const json& j) {
  switch (j.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "a list";
    case json::value_t::string:
      return Quote(j.get_ref<const std::string&>());
    case json::value_t::null:
      return "null";
    default:
      return j.dump();
  }
}

// The general route: JSON → YAML node tree → the manifest decoder, then defaults.
absl::StatusOr<Manifests> ViaYaml(const json& j, std::string_view kind) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        StrCat(kind, ": must be a JSON object, got ", DescribeJson(j)));
  }
  // List items from the API server omit kind and apiVersion.
  auto kind_it = j.find("kind");
  if (kind_it != j.end() && kind_it->is_string() &&
      kind_it->get_ref<const std::string&>() != kind) {
    return absl::InvalidArgumentError(
        StrCat("expected kind ", kind, ", got ", Quote(kind_it->get_ref<const std::string&>())));
  }
  const KindInfo* info = FindKindInfo(kind);
  if (info == nullptr) return absl::InvalidArgumentError(StrCat("unknown kind ", kind));
  JsonToYaml converter;
  std::optional<YAML::Node> root = converter.Convert(j);
  if (!root.has_value()) {
    return absl::InvalidArgumentError(
        StrCat(kind, ": nesting is deeper than ", kMaxDepth, " levels"));
  }
  if (kind_it == j.end()) root->force_insert(YAML::Node("kind"), YAML::Node(std::string(kind)));
  if (!j.contains("apiVersion")) {
    root->force_insert(YAML::Node("apiVersion"), YAML::Node(std::string(info->api_version)));
  }
  Manifests m;
  RETURN_IF_ERROR(internal::DecodeObjectNode(*root, "", "object",
                                             kBaseBudget + kBudgetPerNode * converter.nodes(), m));
  ApplyDefaults(m);
  return m;
}

template <typename T>
absl::StatusOr<T> FromJsonViaYaml(const json& j, std::string_view kind,
                                  std::vector<T> Manifests::*list) {
  ASSIGN_OR_RETURN(Manifests m, ViaYaml(j, kind));
  std::vector<T>& objects = m.*list;
  // A non-string kind decodes to no object.
  if (objects.size() != 1) {
    return absl::InvalidArgumentError(StrCat("expected one ", kind, ", decoded ", objects.size()));
  }
  return std::move(objects.front());
}

// ---- Direct decoding of the hot kinds ----
//
// Pods and Nodes arrive by the thousand; building a yaml-cpp tree for each costs milliseconds in a
// sanitizer build. This decoder reads the nlohmann tree directly with the manifest decoder's
// semantics and messages (json_test.cc checks both routes agree), and builds field paths only when
// it reports an error.

// A field path as a chain of stack frames: "spec.containers[0].resources.requests[cpu]".
class Path {
 public:
  Path() = default;
  Path Field(std::string_view name) const { return Path(this, Kind::kField, name, 0); }
  Path Index(size_t i) const { return Path(this, Kind::kIndex, {}, i); }
  Path Key(std::string_view key) const { return Path(this, Kind::kKey, key, 0); }

  std::string ToString() const {
    std::string out;
    Append(out);
    return out;
  }

 private:
  enum class Kind { kRoot, kField, kIndex, kKey };
  Path(const Path* parent, Kind kind, std::string_view name, size_t index)
      : parent_(parent), kind_(kind), name_(name), index_(index) {}

  void Append(std::string& out) const {
    if (parent_ != nullptr) parent_->Append(out);
    switch (kind_) {
      case Kind::kRoot:
        break;
      case Kind::kField:
        if (!out.empty()) out += '.';
        out.append(name_);
        break;
      case Kind::kIndex:
        StrAppend(out, "[", index_, "]");
        break;
      case Kind::kKey:
        StrAppend(out, "[", internal::Printable(name_), "]");
        break;
    }
  }

  const Path* parent_ = nullptr;
  Kind kind_ = Kind::kRoot;
  std::string_view name_;
  size_t index_ = 0;
};

std::string_view GroupOf(std::string_view api_version) {
  size_t slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
}

bool IsScalar(const json& v) { return v.is_string() || v.is_number() || v.is_boolean(); }

// A scalar as YAML would hold it: strings as they are, numbers and booleans as written.
std::string ScalarText(const json& v) {
  if (v.is_string()) return v.get_ref<const std::string&>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return v.dump();
}

// As the manifest decoder describes a value in messages.
std::string Describe(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_array()) return "a list";
  if (v.is_object()) return "an object";
  return Quote(ScalarText(v));
}

// Decimal integer with optional sign within [lo, hi], as the manifest decoder reads one.
std::optional<int64_t> ParseInteger(std::string_view s, int64_t lo, int64_t hi) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

class JsonDecoder {
 public:
  void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }

  absl::Status Err(const Path& path, std::string_view msg) const {
    std::string p = path.ToString();
    if (p.empty()) return absl::InvalidArgumentError(StrCat(prefix_, msg));
    return absl::InvalidArgumentError(StrCat(prefix_, p, ": ", msg));
  }
  absl::Status TypeError(const Path& path, std::string_view want, const json& v) const {
    return Err(path, StrCat("must be ", want, ", got ", Describe(v)));
  }

  // Field `key` of object `obj` into `out` when present and not null.
  template <typename T>
  absl::Status Field(const json& obj, const Path& path, std::string_view key, T& out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return absl::OkStatus();
    return Decode(*it, path.Field(key), out);
  }

  absl::Status Object(const json& v, const Path& path) const {
    if (!v.is_object()) return TypeError(path, "an object", v);
    return absl::OkStatus();
  }

  // The object under `key`, or nullptr when absent or null.
  absl::StatusOr<const json*> Sub(const json& obj, const Path& path, std::string_view key) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    RETURN_IF_ERROR(Object(*it, path.Field(key)));
    return &*it;
  }

  // An int-or-string field (PDB minAvailable/maxUnavailable), kept as written.
  absl::Status IntOrStringField(const json& obj, const Path& path, std::string_view key,
                                std::optional<std::string>& out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return absl::OkStatus();
    if (!IsScalar(*it)) return TypeError(path.Field(key), "an integer or a percentage string", *it);
    out = ScalarText(*it);
    return absl::OkStatus();
  }

  // ---- Scalars ----

  absl::Status Decode(const json& v, const Path& path, std::string& out) {
    if (v.is_string()) {
      out = v.get_ref<const std::string&>();
      return absl::OkStatus();
    }
    if (v.is_null()) {
      out.clear();
      return absl::OkStatus();
    }
    if (!IsScalar(v)) return TypeError(path, "a string", v);
    out = ScalarText(v);
    return absl::OkStatus();
  }

  absl::Status DecodeInt(const json& v, const Path& path, int64_t lo, int64_t hi, int64_t& out) {
    if (v.is_number_unsigned() &&
        v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return TypeError(path, "an integer", v);  // the manifest decoder cannot read it either
    }
    if (v.is_number_integer()) {  // signed or unsigned
      int64_t n =
          v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>();
      if (n < lo || n > hi) {
        return Err(path, StrCat("integer ", n, " is out of range [", lo, ", ", hi, "]"));
      }
      out = n;
      return absl::OkStatus();
    }
    if (v.is_string() && ParseInteger(v.get_ref<const std::string&>(), lo, hi).has_value()) {
      return Err(path, StrCat("must be an integer, got the string ",
                              Quote(v.get_ref<const std::string&>()), " (remove the quotes)"));
    }
    return TypeError(path, "an integer", v);
  }

  absl::Status Decode(const json& v, const Path& path, int32_t& out) {
    int64_t n = 0;
    RETURN_IF_ERROR(DecodeInt(v, path, std::numeric_limits<int32_t>::min(),
                              std::numeric_limits<int32_t>::max(), n));
    out = static_cast<int32_t>(n);
    return absl::OkStatus();
  }

  absl::Status Decode(const json& v, const Path& path, int64_t& out) {
    return DecodeInt(v, path, std::numeric_limits<int64_t>::min(),
                     std::numeric_limits<int64_t>::max(), out);
  }

  absl::Status Decode(const json& v, const Path& path, bool& out) {
    if (!v.is_boolean()) return TypeError(path, "a boolean", v);
    out = v.get<bool>();
    return absl::OkStatus();
  }

  absl::Status Decode(const json& v, const Path& path, Quantity& out) {
    if (!IsScalar(v)) return TypeError(path, "a quantity", v);
    absl::StatusOr<Quantity> q = v.is_string() ? Quantity::Parse(v.get_ref<const std::string&>())
                                               : Quantity::Parse(ScalarText(v));
    if (!q.ok()) return Err(path, ToStd(q.status().message()));
    out = *q;
    return absl::OkStatus();
  }

  // ---- Containers ----

  absl::Status Decode(const json& v, const Path& path, StringMap& out) {
    RETURN_IF_ERROR(Object(v, path));
    out.clear();
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string value;
      RETURN_IF_ERROR(Decode(it.value(), path.Key(it.key()), value));
      out.emplace_hint(out.end(), it.key(), std::move(value));
    }
    return absl::OkStatus();
  }

  absl::Status Decode(const json& v, const Path& path, ResourceList& out) {
    RETURN_IF_ERROR(Object(v, path));
    out.clear();
    for (auto it = v.begin(); it != v.end(); ++it) {
      Path p = path.Key(it.key());
      if (it.value().is_null()) return TypeError(p, "a quantity", it.value());
      Quantity q;
      RETURN_IF_ERROR(Decode(it.value(), p, q));
      out.emplace_hint(out.end(), it.key(), q);
    }
    return absl::OkStatus();
  }

  template <typename T>
  absl::Status Decode(const json& v, const Path& path, std::vector<T>& out) {
    if (!v.is_array()) return TypeError(path, "a list", v);
    out.clear();
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      T e{};
      RETURN_IF_ERROR(Decode(v[i], path.Index(i), e));
      out.push_back(std::move(e));
    }
    return absl::OkStatus();
  }

  template <typename T>
  absl::Status Decode(const json& v, const Path& path, std::optional<T>& out) {
    T e{};
    RETURN_IF_ERROR(Decode(v, path, e));
    out = std::move(e);
    return absl::OkStatus();
  }

  // ---- Shared structures ----

  absl::Status Decode(const json& v, const Path& path, OwnerReference& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "apiVersion", out.api_version));
    RETURN_IF_ERROR(Field(v, path, "kind", out.kind));
    RETURN_IF_ERROR(Field(v, path, "name", out.name));
    RETURN_IF_ERROR(Field(v, path, "uid", out.uid));
    return Field(v, path, "controller", out.controller);
  }

  absl::Status Decode(const json& v, const Path& path, ObjectMeta& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "name", out.name));
    RETURN_IF_ERROR(Field(v, path, "generateName", out.generate_name));
    RETURN_IF_ERROR(Field(v, path, "namespace", out.namespace_));
    RETURN_IF_ERROR(Field(v, path, "uid", out.uid));
    RETURN_IF_ERROR(Field(v, path, "resourceVersion", out.resource_version));
    RETURN_IF_ERROR(Field(v, path, "creationTimestamp", out.creation_timestamp));
    RETURN_IF_ERROR(Field(v, path, "deletionTimestamp", out.deletion_timestamp));
    RETURN_IF_ERROR(Field(v, path, "generation", out.generation));
    RETURN_IF_ERROR(Field(v, path, "labels", out.labels));
    RETURN_IF_ERROR(Field(v, path, "annotations", out.annotations));
    RETURN_IF_ERROR(Field(v, path, "ownerReferences", out.owner_references));
    return Field(v, path, "finalizers", out.finalizers);
  }

  absl::Status Decode(const json& v, const Path& path, NodeSelectorRequirement& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "key", out.key));
    RETURN_IF_ERROR(Field(v, path, "operator", out.operator_));
    RETURN_IF_ERROR(Field(v, path, "values", out.values));
    return Field(v, path, "minValues", out.min_values);
  }

  absl::Status Decode(const json& v, const Path& path, NodeSelectorTerm& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "matchExpressions", out.match_expressions));
    return Field(v, path, "matchFields", out.match_fields);
  }

  absl::Status Decode(const json& v, const Path& path, PreferredSchedulingTerm& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "weight", out.weight));
    return Field(v, path, "preference", out.preference);
  }

  absl::Status Decode(const json& v, const Path& path, NodeAffinity& out) {
    RETURN_IF_ERROR(Object(v, path));
    constexpr std::string_view kRequired = "requiredDuringSchedulingIgnoredDuringExecution";
    ASSIGN_OR_RETURN(const json* req, Sub(v, path, kRequired));
    if (req != nullptr) {
      std::vector<NodeSelectorTerm> terms;
      RETURN_IF_ERROR(Field(*req, path.Field(kRequired), "nodeSelectorTerms", terms));
      out.required = std::move(terms);
    }
    return Field(v, path, "preferredDuringSchedulingIgnoredDuringExecution", out.preferred);
  }

  absl::Status Decode(const json& v, const Path& path, LabelSelectorRequirement& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "key", out.key));
    RETURN_IF_ERROR(Field(v, path, "operator", out.operator_));
    return Field(v, path, "values", out.values);
  }

  absl::Status Decode(const json& v, const Path& path, LabelSelector& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "matchLabels", out.match_labels));
    return Field(v, path, "matchExpressions", out.match_expressions);
  }

  absl::Status Decode(const json& v, const Path& path, PodAffinityTerm& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "labelSelector", out.label_selector));
    RETURN_IF_ERROR(Field(v, path, "namespaces", out.namespaces));
    RETURN_IF_ERROR(Field(v, path, "namespaceSelector", out.namespace_selector));
    RETURN_IF_ERROR(Field(v, path, "topologyKey", out.topology_key));
    RETURN_IF_ERROR(Field(v, path, "matchLabelKeys", out.match_label_keys));
    return Field(v, path, "mismatchLabelKeys", out.mismatch_label_keys);
  }

  absl::Status Decode(const json& v, const Path& path, WeightedPodAffinityTerm& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "weight", out.weight));
    return Field(v, path, "podAffinityTerm", out.pod_affinity_term);
  }

  absl::Status Decode(const json& v, const Path& path, PodAffinity& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "requiredDuringSchedulingIgnoredDuringExecution", out.required));
    return Field(v, path, "preferredDuringSchedulingIgnoredDuringExecution", out.preferred);
  }

  absl::Status Decode(const json& v, const Path& path, Affinity& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "nodeAffinity", out.node_affinity));
    RETURN_IF_ERROR(Field(v, path, "podAffinity", out.pod_affinity));
    return Field(v, path, "podAntiAffinity", out.pod_anti_affinity);
  }

  absl::Status Decode(const json& v, const Path& path, Taint& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "key", out.key));
    RETURN_IF_ERROR(Field(v, path, "value", out.value));
    return Field(v, path, "effect", out.effect);
  }

  absl::Status Decode(const json& v, const Path& path, Toleration& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "key", out.key));
    RETURN_IF_ERROR(Field(v, path, "operator", out.operator_));
    RETURN_IF_ERROR(Field(v, path, "value", out.value));
    RETURN_IF_ERROR(Field(v, path, "effect", out.effect));
    return Field(v, path, "tolerationSeconds", out.toleration_seconds);
  }

  absl::Status Decode(const json& v, const Path& path, TopologySpreadConstraint& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "maxSkew", out.max_skew));
    RETURN_IF_ERROR(Field(v, path, "topologyKey", out.topology_key));
    RETURN_IF_ERROR(Field(v, path, "whenUnsatisfiable", out.when_unsatisfiable));
    RETURN_IF_ERROR(Field(v, path, "labelSelector", out.label_selector));
    RETURN_IF_ERROR(Field(v, path, "minDomains", out.min_domains));
    RETURN_IF_ERROR(Field(v, path, "nodeAffinityPolicy", out.node_affinity_policy));
    RETURN_IF_ERROR(Field(v, path, "nodeTaintsPolicy", out.node_taints_policy));
    return Field(v, path, "matchLabelKeys", out.match_label_keys);
  }

  // ---- core/v1 ----

  absl::Status Decode(const json& v, const Path& path, ContainerPort& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "name", out.name));
    RETURN_IF_ERROR(Field(v, path, "containerPort", out.container_port));
    RETURN_IF_ERROR(Field(v, path, "hostPort", out.host_port));
    RETURN_IF_ERROR(Field(v, path, "hostIP", out.host_ip));
    return Field(v, path, "protocol", out.protocol);
  }

  absl::Status Decode(const json& v, const Path& path, ResourceRequirements& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "requests", out.requests));
    return Field(v, path, "limits", out.limits);
  }

  absl::Status Decode(const json& v, const Path& path, Container& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "name", out.name));
    RETURN_IF_ERROR(Field(v, path, "image", out.image));
    RETURN_IF_ERROR(Field(v, path, "resources", out.resources));
    RETURN_IF_ERROR(Field(v, path, "ports", out.ports));
    return Field(v, path, "restartPolicy", out.restart_policy);
  }

  absl::Status Decode(const json& v, const Path& path, PersistentVolumeClaimSpec& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "storageClassName", out.storage_class_name));
    return Field(v, path, "volumeName", out.volume_name);
  }

  absl::Status Decode(const json& v, const Path& path, Volume& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "name", out.name));
    ASSIGN_OR_RETURN(const json* pvc, Sub(v, path, "persistentVolumeClaim"));
    if (pvc != nullptr) {
      std::string claim;
      RETURN_IF_ERROR(Field(*pvc, path.Field("persistentVolumeClaim"), "claimName", claim));
      out.pvc_claim_name = std::move(claim);
    }
    ASSIGN_OR_RETURN(const json* eph, Sub(v, path, "ephemeral"));
    if (eph != nullptr) {
      Path epath = path.Field("ephemeral");
      ASSIGN_OR_RETURN(const json* tmpl, Sub(*eph, epath, "volumeClaimTemplate"));
      PersistentVolumeClaimSpec spec;
      if (tmpl != nullptr) {
        RETURN_IF_ERROR(Field(*tmpl, epath.Field("volumeClaimTemplate"), "spec", spec));
      }
      out.ephemeral = std::move(spec);
    }
    return absl::OkStatus();
  }

  absl::Status Decode(const json& v, const Path& path, PodSpec& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "containers", out.containers));
    RETURN_IF_ERROR(Field(v, path, "initContainers", out.init_containers));
    RETURN_IF_ERROR(Field(v, path, "overhead", out.overhead));
    RETURN_IF_ERROR(Field(v, path, "nodeSelector", out.node_selector));
    RETURN_IF_ERROR(Field(v, path, "affinity", out.affinity));
    RETURN_IF_ERROR(Field(v, path, "tolerations", out.tolerations));
    RETURN_IF_ERROR(Field(v, path, "topologySpreadConstraints", out.topology_spread_constraints));
    RETURN_IF_ERROR(Field(v, path, "volumes", out.volumes));
    RETURN_IF_ERROR(Field(v, path, "nodeName", out.node_name));
    RETURN_IF_ERROR(Field(v, path, "schedulerName", out.scheduler_name));
    RETURN_IF_ERROR(Field(v, path, "priorityClassName", out.priority_class_name));
    RETURN_IF_ERROR(Field(v, path, "priority", out.priority));
    RETURN_IF_ERROR(Field(v, path, "restartPolicy", out.restart_policy));
    return Field(v, path, "serviceAccountName", out.service_account_name);
  }

  absl::Status Decode(const json& v, const Path& path, PodCondition& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "type", out.type));
    RETURN_IF_ERROR(Field(v, path, "status", out.status));
    RETURN_IF_ERROR(Field(v, path, "reason", out.reason));
    return Field(v, path, "message", out.message);
  }

  absl::Status Decode(const json& v, const Path& path, PodStatus& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "phase", out.phase));
    RETURN_IF_ERROR(Field(v, path, "conditions", out.conditions));
    return Field(v, path, "nominatedNodeName", out.nominated_node_name);
  }

  absl::Status Decode(const json& v, const Path& path, PodTemplateSpec& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "metadata", out.metadata));
    return Field(v, path, "spec", out.spec);
  }

  absl::Status Decode(const json& v, const Path& path, NodeCondition& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "type", out.type));
    RETURN_IF_ERROR(Field(v, path, "status", out.status));
    RETURN_IF_ERROR(Field(v, path, "reason", out.reason));
    return Field(v, path, "message", out.message);
  }

  // ---- Objects (after metadata) ----

  absl::Status DecodeBody(const json& doc, Pod& out) {
    Path root;
    RETURN_IF_ERROR(Field(doc, root, "spec", out.spec));
    return Field(doc, root, "status", out.status);
  }

  absl::Status DecodeBody(const json& doc, Node& out) {
    Path root;
    ASSIGN_OR_RETURN(const json* spec, Sub(doc, root, "spec"));
    if (spec != nullptr) {
      Path p = root.Field("spec");
      RETURN_IF_ERROR(Field(*spec, p, "providerID", out.provider_id));
      RETURN_IF_ERROR(Field(*spec, p, "unschedulable", out.unschedulable));
      RETURN_IF_ERROR(Field(*spec, p, "taints", out.taints));
    }
    ASSIGN_OR_RETURN(const json* status, Sub(doc, root, "status"));
    if (status != nullptr) {
      Path p = root.Field("status");
      RETURN_IF_ERROR(Field(*status, p, "capacity", out.capacity));
      RETURN_IF_ERROR(Field(*status, p, "allocatable", out.allocatable));
      RETURN_IF_ERROR(Field(*status, p, "conditions", out.conditions));
    }
    return absl::OkStatus();
  }

  absl::Status DecodeBody(const json& doc, PodDisruptionBudget& out) {
    Path root;
    ASSIGN_OR_RETURN(const json* spec, Sub(doc, root, "spec"));
    if (spec == nullptr) return absl::OkStatus();
    Path p = root.Field("spec");
    RETURN_IF_ERROR(IntOrStringField(*spec, p, "minAvailable", out.min_available));
    RETURN_IF_ERROR(IntOrStringField(*spec, p, "maxUnavailable", out.max_unavailable));
    return Field(*spec, p, "selector", out.selector);
  }

  // ---- Storage ----

  absl::Status Decode(const json& v, const Path& path, CSIPersistentVolumeSource& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "driver", out.driver));
    return Field(v, path, "volumeHandle", out.volume_handle);
  }

  absl::Status Decode(const json& v, const Path& path, AWSElasticBlockStoreVolumeSource& out) {
    RETURN_IF_ERROR(Object(v, path));
    return Field(v, path, "volumeID", out.volume_id);
  }

  absl::Status Decode(const json& v, const Path& path, TopologySelectorLabelRequirement& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "key", out.key));
    return Field(v, path, "values", out.values);
  }

  absl::Status Decode(const json& v, const Path& path, TopologySelectorTerm& out) {
    RETURN_IF_ERROR(Object(v, path));
    return Field(v, path, "matchLabelExpressions", out.match_label_expressions);
  }

  absl::Status Decode(const json& v, const Path& path, CSINodeDriver& out) {
    RETURN_IF_ERROR(Object(v, path));
    RETURN_IF_ERROR(Field(v, path, "name", out.name));
    RETURN_IF_ERROR(Field(v, path, "nodeID", out.node_id));
    ASSIGN_OR_RETURN(const json* alloc, Sub(v, path, "allocatable"));
    if (alloc != nullptr) {
      RETURN_IF_ERROR(Field(*alloc, path.Field("allocatable"), "count", out.allocatable_count));
    }
    return Field(v, path, "topologyKeys", out.topology_keys);
  }

  // status.phase, the one status field the storage kinds read.
  absl::Status Phase(const json& doc, std::string& out) {
    Path root;
    ASSIGN_OR_RETURN(const json* status, Sub(doc, root, "status"));
    if (status == nullptr) return absl::OkStatus();
    return Field(*status, root.Field("status"), "phase", out);
  }

  absl::Status DecodeBody(const json& doc, PersistentVolumeClaim& out) {
    Path root;
    RETURN_IF_ERROR(Field(doc, root, "spec", out.spec));
    return Phase(doc, out.phase);
  }

  absl::Status DecodeBody(const json& doc, PersistentVolume& out) {
    Path root;
    ASSIGN_OR_RETURN(const json* spec, Sub(doc, root, "spec"));
    if (spec != nullptr) {
      Path p = root.Field("spec");
      RETURN_IF_ERROR(Field(*spec, p, "storageClassName", out.spec.storage_class_name));
      RETURN_IF_ERROR(Field(*spec, p, "csi", out.spec.csi));
      RETURN_IF_ERROR(Field(*spec, p, "awsElasticBlockStore", out.spec.aws_elastic_block_store));
      // Only the presence of a local or hostPath source matters.
      ASSIGN_OR_RETURN(const json* local, Sub(*spec, p, "local"));
      out.spec.local = local != nullptr;
      ASSIGN_OR_RETURN(const json* host_path, Sub(*spec, p, "hostPath"));
      out.spec.host_path = host_path != nullptr;
      ASSIGN_OR_RETURN(const json* affinity, Sub(*spec, p, "nodeAffinity"));
      if (affinity != nullptr) {
        Path ap = p.Field("nodeAffinity");
        ASSIGN_OR_RETURN(const json* req, Sub(*affinity, ap, "required"));
        if (req != nullptr) {
          std::vector<NodeSelectorTerm> terms;
          RETURN_IF_ERROR(Field(*req, ap.Field("required"), "nodeSelectorTerms", terms));
          out.spec.node_affinity = std::move(terms);
        }
      }
    }
    return Phase(doc, out.phase);
  }

  // StorageClass keeps its fields at the top level (no spec).
  absl::Status DecodeBody(const json& doc, StorageClass& out) {
    Path root;
    RETURN_IF_ERROR(Field(doc, root, "provisioner", out.provisioner));
    RETURN_IF_ERROR(Field(doc, root, "volumeBindingMode", out.volume_binding_mode));
    return Field(doc, root, "allowedTopologies", out.allowed_topologies);
  }

  absl::Status DecodeBody(const json& doc, CSINode& out) {
    Path root;
    ASSIGN_OR_RETURN(const json* spec, Sub(doc, root, "spec"));
    if (spec == nullptr) return absl::OkStatus();
    return Field(*spec, root.Field("spec"), "drivers", out.drivers);
  }

  absl::Status DecodeBody(const json& doc, DaemonSet& out) {
    Path root;
    ASSIGN_OR_RETURN(const json* spec, Sub(doc, root, "spec"));
    if (spec == nullptr) return absl::OkStatus();
    Path p = root.Field("spec");
    RETURN_IF_ERROR(Field(*spec, p, "selector", out.selector));
    return Field(*spec, p, "template", out.template_);
  }

 private:
  std::string prefix_;
};

// Decodes `j` (an object; its kind checked by the caller) as the manifest decoder decodes a
// document of kind `kind`.
template <typename T>
absl::StatusOr<T> DecodeDirect(const json& j, std::string_view kind, std::string_view api_version,
                               bool namespaced) {
  JsonDecoder d;
  d.set_prefix("object: ");
  Path root;
  auto kind_it = j.find("kind");
  if (kind_it != j.end() && !kind_it->is_string()) {
    if (kind_it->is_null()) return d.Err(root.Field("kind"), "Required value");
    return absl::InvalidArgumentError(StrCat("expected kind ", kind, ", got ", Describe(*kind_it)));
  }
  std::string version(api_version);  // absent in list items: the expected one
  if (auto it = j.find("apiVersion"); it != j.end()) {
    RETURN_IF_ERROR(d.Decode(*it, root.Field("apiVersion"), version));
    if (version.empty()) return d.Err(root.Field("apiVersion"), "Required value");
  }
  T obj;
  d.set_prefix(StrCat(kind, " (object): "));
  RETURN_IF_ERROR(d.Field(j, root, "metadata", obj.metadata));
  if (obj.metadata.name.empty() && obj.metadata.generate_name.empty()) {
    return d.Err(root.Field("metadata").Field("name"),
                 "Required value: name or generateName is required");
  }
  d.set_prefix(internal::ObjectPrefix("", kind, obj.metadata, namespaced));
  if (version != api_version) {
    std::string detail = GroupOf(version) == GroupOf(api_version)
                             ? StrCat("unsupported apiVersion ", Quote(version), " for ", kind,
                                      "; Joinery reads ", api_version)
                             : StrCat("unsupported apiVersion ", Quote(version), " for ", kind,
                                      "; ", kind, " is in ", api_version);
    return d.Err(root.Field("apiVersion"), detail);
  }
  RETURN_IF_ERROR(d.DecodeBody(j, obj));
  return obj;
}

template <typename T>
absl::StatusOr<T> FromJsonDirect(const json& j, std::string_view kind,
                                 std::vector<T> Manifests::*list) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        StrCat(kind, ": must be a JSON object, got ", DescribeJson(j)));
  }
  auto kind_it = j.find("kind");
  if (kind_it != j.end() && kind_it->is_string() &&
      kind_it->get_ref<const std::string&>() != kind) {
    return absl::InvalidArgumentError(
        StrCat("expected kind ", kind, ", got ", Quote(kind_it->get_ref<const std::string&>())));
  }
  const KindInfo* info = FindKindInfo(kind);
  // Only called for the kinds in the table.
  ASSIGN_OR_RETURN(T obj, DecodeDirect<T>(j, kind, info->api_version, info->namespaced));
  // Defaults exactly as for manifests.
  Manifests m;
  (m.*list).push_back(std::move(obj));
  ApplyDefaults(m);
  return std::move((m.*list).front());
}

json DurationToJson(const Duration& d) {
  if (!d.text.empty()) return d.text;
  if (d.never()) return "Never";
  return StrCat(*d.seconds, "s");
}

json OwnerReferenceToJson(const OwnerReference& r) {
  json o = {{"apiVersion", r.api_version},
            {"kind", r.kind},
            {"name", r.name},
            {"uid", r.uid},
            {"blockOwnerDeletion", true}};
  if (r.controller) o["controller"] = true;
  return o;
}

json StringMapToJson(const StringMap& m) {
  json o = json::object();
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

json NodeClassRefToJson(const NodeClassReference& r) {
  return {{"group", r.group}, {"kind", r.kind}, {"name", r.name}};
}

}  // namespace

absl::StatusOr<NodePool> NodePoolFromJson(const json& j) {
  return FromJsonViaYaml(j, "NodePool", &Manifests::node_pools);
}
absl::StatusOr<NodeClaim> NodeClaimFromJson(const json& j) {
  return FromJsonViaYaml(j, "NodeClaim", &Manifests::node_claims);
}
absl::StatusOr<EC2NodeClass> EC2NodeClassFromJson(const json& j) {
  return FromJsonViaYaml(j, "EC2NodeClass", &Manifests::node_classes);
}
absl::StatusOr<Pod> PodFromJson(const json& j) {
  return FromJsonDirect(j, "Pod", &Manifests::pods);
}
absl::StatusOr<Node> NodeFromJson(const json& j) {
  return FromJsonDirect(j, "Node", &Manifests::nodes);
}
absl::StatusOr<DaemonSet> DaemonSetFromJson(const json& j) {
  return FromJsonDirect(j, "DaemonSet", &Manifests::daemon_sets);
}
absl::StatusOr<PodDisruptionBudget> PodDisruptionBudgetFromJson(const json& j) {
  return FromJsonDirect(j, "PodDisruptionBudget", &Manifests::pod_disruption_budgets);
}
absl::StatusOr<PersistentVolumeClaim> PersistentVolumeClaimFromJson(const json& j) {
  return FromJsonDirect(j, "PersistentVolumeClaim", &Manifests::persistent_volume_claims);
}
absl::StatusOr<PersistentVolume> PersistentVolumeFromJson(const json& j) {
  return FromJsonDirect(j, "PersistentVolume", &Manifests::persistent_volumes);
}
absl::StatusOr<StorageClass> StorageClassFromJson(const json& j) {
  return FromJsonDirect(j, "StorageClass", &Manifests::storage_classes);
}
absl::StatusOr<CSINode> CSINodeFromJson(const json& j) {
  return FromJsonDirect(j, "CSINode", &Manifests::csi_nodes);
}

namespace internal {
absl::StatusOr<Manifests> DecodeJsonViaYaml(const json& j, std::string_view kind) {
  return ViaYaml(j, kind);
}
}  // namespace internal

json MetadataToJson(const ObjectMeta& meta) {
  json o = json::object();
  if (!meta.name.empty()) o["name"] = meta.name;
  if (!meta.generate_name.empty()) o["generateName"] = meta.generate_name;
  if (!meta.namespace_.empty()) o["namespace"] = meta.namespace_;
  if (!meta.uid.empty()) o["uid"] = meta.uid;
  if (!meta.resource_version.empty()) o["resourceVersion"] = meta.resource_version;
  if (!meta.creation_timestamp.empty()) o["creationTimestamp"] = meta.creation_timestamp;
  if (meta.deletion_timestamp.has_value()) o["deletionTimestamp"] = *meta.deletion_timestamp;
  if (meta.generation != 0) o["generation"] = meta.generation;
  if (!meta.labels.empty()) o["labels"] = StringMapToJson(meta.labels);
  if (!meta.annotations.empty()) o["annotations"] = StringMapToJson(meta.annotations);
  if (!meta.owner_references.empty()) {
    json refs = json::array();
    for (const OwnerReference& r : meta.owner_references) refs.push_back(OwnerReferenceToJson(r));
    o["ownerReferences"] = std::move(refs);
  }
  if (!meta.finalizers.empty()) o["finalizers"] = meta.finalizers;
  return o;
}

json ConditionsToJson(const std::vector<Condition>& conditions) {
  json a = json::array();
  for (const Condition& c : conditions) {
    json o = {{"type", c.type}, {"status", c.status}};
    if (!c.reason.empty()) o["reason"] = c.reason;
    if (!c.message.empty()) o["message"] = c.message;
    if (!c.last_transition_time.empty()) o["lastTransitionTime"] = c.last_transition_time;
    if (c.observed_generation != 0) o["observedGeneration"] = c.observed_generation;
    a.push_back(std::move(o));
  }
  return a;
}

json ResourceListToJson(const ResourceList& resources) {
  json o = json::object();
  for (const auto& [name, q] : resources) o[name] = q.ToString();
  return o;
}

json TaintsToJson(const std::vector<Taint>& taints) {
  json a = json::array();
  for (const Taint& t : taints) {
    json o = {{"key", t.key}, {"effect", t.effect}};
    if (!t.value.empty()) o["value"] = t.value;
    a.push_back(std::move(o));
  }
  return a;
}

json RequirementsToJson(const std::vector<NodeSelectorRequirement>& requirements) {
  json a = json::array();
  for (const NodeSelectorRequirement& r : requirements) {
    json o = {{"key", r.key}, {"operator", r.operator_}};
    if (!r.values.empty()) o["values"] = r.values;
    if (r.min_values.has_value()) o["minValues"] = *r.min_values;
    a.push_back(std::move(o));
  }
  return a;
}

json ToJson(const NodeClaim& nc) {
  json spec = {{"requirements", RequirementsToJson(nc.spec.requirements)},
               {"nodeClassRef", NodeClassRefToJson(nc.spec.node_class_ref)},
               {"expireAfter", DurationToJson(nc.spec.expire_after)}};
  if (!nc.spec.taints.empty()) spec["taints"] = TaintsToJson(nc.spec.taints);
  if (!nc.spec.startup_taints.empty()) spec["startupTaints"] = TaintsToJson(nc.spec.startup_taints);
  if (!nc.spec.resource_requests.empty()) {
    spec["resources"] = {{"requests", ResourceListToJson(nc.spec.resource_requests)}};
  }
  if (nc.spec.termination_grace_period.has_value()) {
    spec["terminationGracePeriod"] = DurationToJson(*nc.spec.termination_grace_period);
  }
  json o = {{"apiVersion", "karpenter.sh/v1"},
            {"kind", "NodeClaim"},
            {"metadata", MetadataToJson(nc.metadata)},
            {"spec", std::move(spec)}};
  const NodeClaimStatus& s = nc.status;
  json status = json::object();
  if (!s.node_name.empty()) status["nodeName"] = s.node_name;
  if (!s.provider_id.empty()) status["providerID"] = s.provider_id;
  if (!s.image_id.empty()) status["imageID"] = s.image_id;
  if (!s.capacity.empty()) status["capacity"] = ResourceListToJson(s.capacity);
  if (!s.allocatable.empty()) status["allocatable"] = ResourceListToJson(s.allocatable);
  if (!s.conditions.empty()) status["conditions"] = ConditionsToJson(s.conditions);
  if (!status.empty()) o["status"] = std::move(status);
  return o;
}

json ToJson(const Node& node) {
  json spec = json::object();
  if (!node.provider_id.empty()) spec["providerID"] = node.provider_id;
  if (!node.taints.empty()) spec["taints"] = TaintsToJson(node.taints);
  if (node.unschedulable) spec["unschedulable"] = true;
  json status = json::object();
  if (!node.capacity.empty()) status["capacity"] = ResourceListToJson(node.capacity);
  if (!node.allocatable.empty()) status["allocatable"] = ResourceListToJson(node.allocatable);
  if (!node.conditions.empty()) {
    json a = json::array();
    for (const NodeCondition& c : node.conditions) {
      json co = {{"type", c.type}, {"status", c.status}};
      if (!c.reason.empty()) co["reason"] = c.reason;
      if (!c.message.empty()) co["message"] = c.message;
      a.push_back(std::move(co));
    }
    status["conditions"] = std::move(a);
  }
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", MetadataToJson(node.metadata)},
          {"spec", std::move(spec)},
          {"status", std::move(status)}};
}

}  // namespace joinery::api
