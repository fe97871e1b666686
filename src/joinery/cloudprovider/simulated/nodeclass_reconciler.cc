#include "joinery/cloudprovider/simulated/nodeclass_reconciler.h"

#include <algorithm>
#include <map>
#include <utility>

#include "joinery/common/hash.h"
#include "joinery/api/conditions.h"
#include "joinery/api/json.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"

namespace joinery::cloudprovider::simulated {
namespace {

using Json = nlohmann::json;

bool TagsMatch(const api::StringMap& want, const api::StringMap& have) {
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end()) return false;
    if (v != "*" && it->second != v) return false;
  }
  return true;
}

// EC2 filter-style glob: `*` matches any run of characters, `?` one character.
bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// A term with no field set matches nothing (validation rejects it; be conservative here).
bool SubnetTermMatches(const api::SelectorTerm& term, const Subnet& s) {
  if (term.id.empty() && term.tags.empty()) return false;
  if (!term.id.empty() && term.id != s.id) return false;
  return TagsMatch(term.tags, s.tags);
}

bool SecurityGroupTermMatches(const api::SelectorTerm& term, const SecurityGroup& g) {
  if (term.id.empty() && term.name.empty() && term.tags.empty()) return false;
  if (!term.id.empty() && term.id != g.id) return false;
  if (!term.name.empty() && term.name != g.name) return false;
  return TagsMatch(term.tags, g.tags);
}

bool AmiTermMatches(const api::AMISelectorTerm& term, const Image& im) {
  if (term.id.empty() && term.name.empty() && term.tags.empty()) return false;
  if (!term.id.empty() && term.id != im.id) return false;
  if (!term.name.empty() && !GlobMatch(term.name, im.name)) return false;
  return TagsMatch(term.tags, im.tags);
}

// Newer first, non-deprecated before deprecated (Karpenter's AMI ordering), then id.
bool ImageBefore(const Image& a, const Image& b) {
  if (a.deprecated != b.deprecated) return !a.deprecated;
  if (a.creation_date != b.creation_date) return a.creation_date > b.creation_date;
  return a.id < b.id;
}

std::vector<Image> ResolveImages(const api::EC2NodeClass& nc, const VpcInventory& vpc) {
  std::vector<Image> matched;
  for (const auto& term : nc.ami_selector_terms) {
    if (!term.alias.empty()) {
      std::string_view alias = term.alias;
      size_t at = alias.find('@');
      std::string family(alias.substr(0, at));
      std::string version = at == std::string_view::npos ? "latest" : std::string(alias.substr(at + 1));
      std::transform(family.begin(), family.end(), family.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      for (const Image& im : vpc.images) {
        if (im.family != family) continue;
        if (version != "latest" && im.version != version) continue;
        matched.push_back(im);
      }
      continue;
    }
    for (const Image& im : vpc.images) {
      if (AmiTermMatches(term, im)) matched.push_back(im);
    }
  }
  std::sort(matched.begin(), matched.end(), ImageBefore);
  // One image per requirement set (the architecture), the first in order.
  std::vector<Image> out;
  for (const Image& im : matched) {
    bool seen = std::any_of(out.begin(), out.end(), [&](const Image& o) { return o.arch == im.arch; });
    if (!seen) out.push_back(im);
  }
  std::sort(out.begin(), out.end(), [](const Image& a, const Image& b) { return a.arch < b.arch; });
  return out;
}

api::Condition True(std::string_view type) {
  return api::Condition{.type = std::string(type), .status = "True", .reason = std::string(type),
                        .message = "", .last_transition_time = "", .observed_generation = 0};
}
api::Condition False(std::string_view type, std::string_view reason, std::string_view message) {
  return api::Condition{.type = std::string(type), .status = "False", .reason = std::string(reason),
                        .message = std::string(message), .last_transition_time = "",
                        .observed_generation = 0};
}

std::vector<api::Condition> ConditionsFromJson(const Json& j) {
  std::vector<api::Condition> out;
  if (!j.is_array()) return out;
  auto str = [](const Json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  for (const Json& c : j) {
    if (!c.is_object()) continue;
    api::Condition cond;
    cond.type = str(c, "type");
    cond.status = str(c, "status");
    cond.reason = str(c, "reason");
    cond.message = str(c, "message");
    cond.last_transition_time = str(c, "lastTransitionTime");
    if (auto it = c.find("observedGeneration"); it != c.end() && it->is_number_integer()) {
      cond.observed_generation = it->get<int64_t>();
    }
    out.push_back(std::move(cond));
  }
  return out;
}

}  // namespace

std::string InstanceProfileName(std::string_view cluster_name, std::string_view region,
                                std::string_view node_class_name) {
  return StrCat(cluster_name, "_", Fnv1a64(StrCat(region, node_class_name)));
}

NodeClassResolution ResolveNodeClass(const api::EC2NodeClass& nc, const VpcInventory& vpc,
                                     std::string_view cluster_name, std::string_view region) {
  NodeClassResolution r;
  for (const Subnet& s : vpc.subnets) {
    if (std::any_of(nc.subnet_selector_terms.begin(), nc.subnet_selector_terms.end(),
                    [&](const api::SelectorTerm& t) { return SubnetTermMatches(t, s); })) {
      r.subnets.push_back(s);
    }
  }
  std::sort(r.subnets.begin(), r.subnets.end(), [](const Subnet& a, const Subnet& b) {
    if (a.available_ips != b.available_ips) return a.available_ips > b.available_ips;
    return a.id < b.id;
  });
  for (const SecurityGroup& g : vpc.security_groups) {
    if (std::any_of(nc.security_group_selector_terms.begin(),
                    nc.security_group_selector_terms.end(),
                    [&](const api::SelectorTerm& t) { return SecurityGroupTermMatches(t, g); })) {
      r.security_groups.push_back(g);
    }
  }
  std::sort(r.security_groups.begin(), r.security_groups.end(),
            [](const SecurityGroup& a, const SecurityGroup& b) { return a.id < b.id; });
  r.images = ResolveImages(nc, vpc);
  if (!nc.role.empty()) {
    r.instance_profile = InstanceProfileName(cluster_name, region, nc.metadata.name);
  } else {
    r.instance_profile = nc.instance_profile;
  }

  r.conditions.push_back(r.subnets.empty()
                             ? False(kConditionSubnetsReady, "SubnetsNotFound",
                                     "SubnetSelector did not match any Subnets")
                             : True(kConditionSubnetsReady));
  r.conditions.push_back(r.security_groups.empty()
                             ? False(kConditionSecurityGroupsReady, "SecurityGroupsNotFound",
                                     "SecurityGroupSelector did not match any SecurityGroups")
                             : True(kConditionSecurityGroupsReady));
  r.conditions.push_back(r.images.empty() ? False(kConditionAMIsReady, "AMINotFound",
                                                  "AMISelector did not match any AMIs")
                                          : True(kConditionAMIsReady));
  // The CRD requires exactly one of role and instanceProfile; guard anyway.
  r.conditions.push_back(r.instance_profile.empty()
                             ? False(kConditionInstanceProfileReady, "InstanceProfileNotFound",
                                     "Neither role nor instanceProfile is set")
                             : True(kConditionInstanceProfileReady));
  bool deps_ready = std::all_of(r.conditions.begin(), r.conditions.end(),
                                [](const api::Condition& c) { return c.status == "True"; });
  r.conditions.push_back(deps_ready ? True(kConditionValidationSucceeded)
                                    : False(kConditionValidationSucceeded, "DependenciesNotReady",
                                            "Awaiting AMI, Instance Profile, Security Group, and "
                                            "Subnet resolution"));
  std::vector<std::string> unhealthy;
  for (const api::Condition& c : r.conditions) {
    if (c.status != "True") unhealthy.push_back(StrCat(c.type, "=", c.status));
  }
  r.conditions.push_back(unhealthy.empty() ? True(kConditionReady)
                                           : False(kConditionReady, "UnhealthyDependents",
                                                   StrJoin(unhealthy, ", ")));
  return r;
}

nlohmann::json ResolutionStatusJson(const NodeClassResolution& r) {
  Json status = Json::object();
  Json subnets = Json::array();
  for (const Subnet& s : r.subnets) {
    subnets.push_back({{"id", s.id}, {"zone", s.zone}, {"zoneID", s.zone_id}});
  }
  Json groups = Json::array();
  for (const SecurityGroup& g : r.security_groups) {
    groups.push_back({{"id", g.id}, {"name", g.name}});
  }
  Json amis = Json::array();
  for (const Image& im : r.images) {
    Json a = {{"id", im.id},
              {"name", im.name},
              {"requirements",
               Json::array({{{"key", "kubernetes.io/arch"},
                             {"operator", "In"},
                             {"values", Json::array({im.arch})}}})}};
    if (im.deprecated) a["deprecated"] = true;
    amis.push_back(std::move(a));
  }
  // Karpenter clears a list that resolved to nothing (leaves the field out).
  if (!subnets.empty()) status["subnets"] = std::move(subnets);
  if (!groups.empty()) status["securityGroups"] = std::move(groups);
  if (!amis.empty()) status["amis"] = std::move(amis);
  if (!r.instance_profile.empty()) status["instanceProfile"] = r.instance_profile;
  return status;
}

NodeClassReconciler::NodeClassReconciler(kube::Client& client, Clock& clock,
                                         std::shared_ptr<const VpcInventory> vpc, Options options)
    : client_(client), clock_(clock), vpc_(std::move(vpc)), options_(std::move(options)) {}

absl::StatusOr<controllers::Result> NodeClassReconciler::Reconcile(std::string_view key) {
  const std::string context = StrCat("reconciling EC2NodeClass ", key);
  auto mutate = [&](Json& obj) -> absl::StatusOr<bool> {
    auto nc = api::EC2NodeClassFromJson(obj);
    if (!nc.ok()) return nc.status();
    NodeClassResolution r = ResolveNodeClass(*nc, *vpc_, options_.cluster_name, options_.region);
    Json old_status = obj.contains("status") && obj["status"].is_object() ? obj["status"]
                                                                          : Json::object();
    Json status = old_status;
    for (const char* k : {"subnets", "securityGroups", "amis", "instanceProfile"}) status.erase(k);
    status.update(ResolutionStatusJson(r));
    std::vector<api::Condition> conditions =
        ConditionsFromJson(old_status.value("conditions", Json::array()));
    const absl::Time now = clock_.Now();
    for (api::Condition c : r.conditions) {
      c.observed_generation = nc->metadata.generation;
      api::SetCondition(conditions, std::move(c), now);
    }
    status["conditions"] = api::ConditionsToJson(conditions);
    if (status == old_status) return false;
    obj["status"] = std::move(status);
    return true;
  };
  auto updated = kube::UpdateWithRetry(client_, kube::resources::EC2NodeClasses(), "", key, mutate,
                                       "status");
  if (!updated.ok()) {
    if (kube::IsNotFound(updated.status())) return controllers::Result{};
    return Annotate(updated.status(), context);
  }
  return controllers::Result{.requeue_after = options_.resync};
}

}  // namespace joinery::cloudprovider::simulated
