// The YAML instance-type list (catalog.h, ParseInstanceTypeList): explicit types with labels,
// requirements, capacity, overhead and offerings, for catalogs that are not AWS's (Karpenter's fake
// provider in the conformance scenarios, a private cloud's shapes in a what-if).
#include <set>
#include <string>

#include "joinery/api/labels.h"
#include "joinery/api/validate.h"
#include "joinery/cloudprovider/catalog.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "yaml-cpp/yaml.h"

namespace joinery::cloudprovider {
namespace {

constexpr std::string_view kApiVersion = "joinery.dev/v1alpha1";

absl::Status Bad(std::string_view file, std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(file, ": ", where, ": ", what));
}

absl::Status OnlyKeys(const YAML::Node& n, const std::set<std::string>& known, std::string_view file,
                      std::string_view where) {
  if (!n.IsMap()) return Bad(file, where, "must be a map");
  for (const auto& kv : n) {
    std::string key = kv.first.as<std::string>();
    if (!known.contains(key)) return Bad(file, StrCat(where, ".", key), "unknown field");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Scalar(const YAML::Node& n, std::string_view file,
                                   std::string_view where) {
  if (!n.IsScalar()) return Bad(file, where, "must be a string");
  return n.as<std::string>();
}

absl::StatusOr<api::StringMap> StringMapOf(const YAML::Node& n, std::string_view file,
                                           std::string_view where) {
  api::StringMap out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsMap()) return Bad(file, where, "must be a map of strings");
  for (const auto& kv : n) {
    std::string k = kv.first.as<std::string>();
    ASSIGN_OR_RETURN(std::string v, Scalar(kv.second, file, StrCat(where, ".", k)));
    out[k] = std::move(v);
  }
  return out;
}

absl::StatusOr<ResourceList> Resources(const YAML::Node& n, std::string_view file,
                                       std::string_view where) {
  ResourceList out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsMap()) return Bad(file, where, "must be a map of quantities");
  for (const auto& kv : n) {
    std::string k = kv.first.as<std::string>();
    std::string at = StrCat(where, ".", k);
    ASSIGN_OR_RETURN(std::string text, Scalar(kv.second, file, at));
    auto q = Quantity::Parse(text);
    if (!q.ok()) return Bad(file, at, StrCat("invalid quantity \"", text, "\""));
    if (q->milli() < 0) return Bad(file, at, "must not be negative");
    out[k] = *q;
  }
  return out;
}

absl::StatusOr<InstanceType> ParseType(const YAML::Node& n, std::string_view file,
                                       const std::string& where) {
  RETURN_IF_ERROR(OnlyKeys(n, {"name", "labels", "requirements", "capacity", "overhead",
                               "offerings", "ebsVolumeLimit"},
                           file, where));
  InstanceType it;
  if (!n["name"]) return Bad(file, StrCat(where, ".name"), "required");
  ASSIGN_OR_RETURN(it.name, Scalar(n["name"], file, StrCat(where, ".name")));
  if (it.name.empty()) return Bad(file, StrCat(where, ".name"), "must not be empty");
  ASSIGN_OR_RETURN(it.labels, StringMapOf(n["labels"], file, StrCat(where, ".labels")));
  for (const auto& [k, v] : it.labels) {
    if (k == api::kLabelZone || k == api::kLabelCapacityType) {
      return Bad(file, StrCat(where, ".labels.", k), "comes from the offerings; list it there");
    }
  }
  it.labels[std::string(api::kLabelInstanceType)] = it.name;
  if (const YAML::Node reqs = n["requirements"]; reqs && !reqs.IsNull()) {
    if (!reqs.IsSequence()) return Bad(file, StrCat(where, ".requirements"), "must be a list");
    for (size_t i = 0; i < reqs.size(); ++i) {
      std::string at = StrCat(where, ".requirements[", i, "]");
      RETURN_IF_ERROR(OnlyKeys(reqs[i], {"key", "operator", "values"}, file, at));
      api::NodeSelectorRequirement r;
      if (!reqs[i]["key"] || !reqs[i]["operator"]) return Bad(file, at, "key and operator are required");
      ASSIGN_OR_RETURN(r.key, Scalar(reqs[i]["key"], file, StrCat(at, ".key")));
      ASSIGN_OR_RETURN(r.operator_, Scalar(reqs[i]["operator"], file, StrCat(at, ".operator")));
      if (const YAML::Node vs = reqs[i]["values"]; vs && !vs.IsNull()) {
        if (!vs.IsSequence()) return Bad(file, StrCat(at, ".values"), "must be a list");
        for (size_t j = 0; j < vs.size(); ++j) {
          ASSIGN_OR_RETURN(std::string v, Scalar(vs[j], file, StrCat(at, ".values[", j, "]")));
          r.values.push_back(std::move(v));
        }
      }
      if (r.key == api::kLabelZone || r.key == api::kLabelCapacityType ||
          r.key == api::kLabelInstanceType || it.labels.contains(r.key)) {
        return Bad(file, StrCat(at, ".key"),
                   StrCat(r.key, " is already set by the name, the labels or the offerings"));
      }
      if (absl::Status s = api::ValidateRequirement(r, at, /*for_node_claim=*/true); !s.ok()) {
        return absl::InvalidArgumentError(StrCat(file, ": ", std::string(s.message())));
      }
      it.requirements.push_back(std::move(r));
    }
  }
  ASSIGN_OR_RETURN(it.capacity, Resources(n["capacity"], file, StrCat(where, ".capacity")));
  if (const YAML::Node o = n["overhead"]; o && !o.IsNull()) {
    std::string at = StrCat(where, ".overhead");
    RETURN_IF_ERROR(OnlyKeys(o, {"kubeReserved", "systemReserved", "evictionThreshold"}, file, at));
    ASSIGN_OR_RETURN(it.overhead.kube_reserved,
                     Resources(o["kubeReserved"], file, StrCat(at, ".kubeReserved")));
    ASSIGN_OR_RETURN(it.overhead.system_reserved,
                     Resources(o["systemReserved"], file, StrCat(at, ".systemReserved")));
    ASSIGN_OR_RETURN(it.overhead.eviction_threshold,
                     Resources(o["evictionThreshold"], file, StrCat(at, ".evictionThreshold")));
  }
  if (const YAML::Node l = n["ebsVolumeLimit"]; l && !l.IsNull()) {
    int limit = 0;
    if (!YAML::convert<int>::decode(l, limit) || limit < 0) {
      return Bad(file, StrCat(where, ".ebsVolumeLimit"), "must be a whole number >= 0");
    }
    it.ebs_volume_limit = limit;
  }
  const YAML::Node offs = n["offerings"];
  if (!offs || !offs.IsSequence()) {
    return Bad(file, StrCat(where, ".offerings"), "must be a list (an empty list: never launched)");
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < offs.size(); ++i) {
    std::string at = StrCat(where, ".offerings[", i, "]");
    RETURN_IF_ERROR(OnlyKeys(offs[i], {"zone", "capacityType", "price", "available"}, file, at));
    Offering o;
    if (!offs[i]["zone"] || !offs[i]["capacityType"] || !offs[i]["price"]) {
      return Bad(file, at, "zone, capacityType and price are required");
    }
    ASSIGN_OR_RETURN(o.zone, Scalar(offs[i]["zone"], file, StrCat(at, ".zone")));
    ASSIGN_OR_RETURN(o.capacity_type,
                     Scalar(offs[i]["capacityType"], file, StrCat(at, ".capacityType")));
    if (o.capacity_type != api::kCapacityTypeOnDemand && o.capacity_type != api::kCapacityTypeSpot &&
        o.capacity_type != api::kCapacityTypeReserved) {
      return Bad(file, StrCat(at, ".capacityType"), "must be on-demand, spot or reserved");
    }
    if (!YAML::convert<double>::decode(offs[i]["price"], o.price) || !(o.price >= 0)) {
      return Bad(file, StrCat(at, ".price"), "must be a number >= 0 (USD per hour)");
    }
    if (const YAML::Node a = offs[i]["available"]; a && !YAML::convert<bool>::decode(a, o.available)) {
      return Bad(file, StrCat(at, ".available"), "must be true or false");
    }
    if (!seen.emplace(o.zone, o.capacity_type).second) {
      return Bad(file, at, StrCat("a second offering for ", o.zone, "/", o.capacity_type));
    }
    it.offerings.push_back(std::move(o));
  }
  return it;
}

}  // namespace

absl::StatusOr<InstanceTypes> ParseInstanceTypeList(std::string_view text, std::string_view file) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat(file, ": line ", e.mark.line + 1, ": ", e.msg));
  }
  InstanceTypes out;
  std::set<std::string, std::less<>> names;
  for (size_t d = 0; d < docs.size(); ++d) {
    const YAML::Node& doc = docs[d];
    if (doc.IsNull()) continue;
    std::string where = StrCat("document ", d + 1);
    RETURN_IF_ERROR(OnlyKeys(doc, {"apiVersion", "kind", "items"}, file, where));
    if (!doc["apiVersion"] || doc["apiVersion"].as<std::string>() != kApiVersion ||
        !doc["kind"] || doc["kind"].as<std::string>() != "InstanceTypeList") {
      return Bad(file, where, StrCat("want apiVersion ", kApiVersion, ", kind InstanceTypeList"));
    }
    const YAML::Node items = doc["items"];
    if (!items || !items.IsSequence()) return Bad(file, StrCat(where, ".items"), "must be a list");
    for (size_t i = 0; i < items.size(); ++i) {
      std::string at = StrCat("items[", out.size(), "]");
      try {
        ASSIGN_OR_RETURN(InstanceType it, ParseType(items[i], file, at));
        if (!names.insert(it.name).second) {
          return Bad(file, StrCat(at, ".name"), StrCat("instance type ", it.name, " is listed twice"));
        }
        out.push_back(std::move(it));
      } catch (const YAML::Exception& e) {
        return Bad(file, at, e.msg);
      }
    }
  }
  if (out.empty()) return absl::InvalidArgumentError(StrCat(file, ": no instance types"));
  return out;
}

}  // namespace joinery::cloudprovider
