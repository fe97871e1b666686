#include "joinery/testing/plan_checker.h"

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "joinery/api/labels.h"
#include "joinery/common/strings.h"
#include "joinery/scheduling/host_ports.h"
#include "joinery/scheduling/requirements.h"
#include "joinery/scheduling/resources.h"
#include "joinery/scheduling/taints.h"

namespace joinery::testing {
namespace {

using cloudprovider::InstanceType;
using cloudprovider::Offering;

absl::Status Fail(std::string message) { return absl::FailedPreconditionError(std::move(message)); }

std::string PodKey(const api::Pod& p) { return StrCat(p.metadata.namespace_, "/", p.metadata.name); }

// Label keys normalized the way selectors are (beta aliases → current keys).
api::StringMap Normalize(const api::StringMap& labels) {
  api::StringMap out;
  for (const auto& [k, v] : labels) out[std::string(api::NormalizeLabelKey(k))] = v;
  return out;
}

// Well-known labels that a planned NodeClaim's labels do not carry because the provider resolves
// them at launch (the catalog has no value for them); requirements on them are not checked there.
bool ResolvedAtLaunch(std::string_view key) {
  return key == api::kLabelZoneID || key == api::kLabelWindowsBuild ||
         key == api::kLabelInstanceTenancy || key == api::kLabelNitroSandbox ||
         key == api::kLabelHostname;
}

// Kubernetes node-selector semantics against concrete labels: In/Gt/Lt/Gte/Lte need the label;
// NotIn/DoesNotExist hold when it is absent. With `planned`, labels resolved at launch may be absent.
absl::Status Satisfies(const api::StringMap& labels, const api::NodeSelectorRequirement& sel,
                       bool planned = false) {
  auto req = scheduling::Requirement::Make(sel.key, sel.operator_, sel.values);
  if (!req.ok()) return req.status();
  auto it = labels.find(req->key());
  if (it == labels.end() && planned && ResolvedAtLaunch(req->key())) return absl::OkStatus();
  if (it == labels.end()) {
    if (req->Operator() == "NotIn" || req->Operator() == "DoesNotExist") {
      if (!req->gte() && !req->lte()) return absl::OkStatus();
    }
    return Fail(StrCat("label ", req->key(), " is absent but required (", req->ToString(), ")"));
  }
  if (!req->Has(it->second)) {
    return Fail(StrCat("label ", req->key(), "=", it->second, " does not satisfy ", req->ToString()));
  }
  return absl::OkStatus();
}

absl::Status SatisfiesAll(const api::StringMap& labels,
                          const std::vector<api::NodeSelectorRequirement>& reqs, bool planned = false) {
  for (const auto& r : reqs) {
    if (absl::Status s = Satisfies(labels, r, planned); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// nodeSelector plus at least one required node-affinity term. `planned`: see Satisfies.
absl::Status PodSelectorsHold(const api::PodSpec& spec, const api::StringMap& labels,
                              bool planned = false) {
  for (const auto& [k, v] : spec.node_selector) {
    auto it = labels.find(api::NormalizeLabelKey(k));
    if (it == labels.end() && planned && ResolvedAtLaunch(api::NormalizeLabelKey(k))) continue;
    if (it == labels.end() || it->second != v) {
      return Fail(StrCat("nodeSelector ", k, "=", v, " does not hold (node has ",
                         it == labels.end() ? "no such label" : StrCat(k, "=", it->second), ")"));
    }
  }
  if (spec.affinity && spec.affinity->node_affinity && spec.affinity->node_affinity->required &&
      !spec.affinity->node_affinity->required->empty()) {
    std::vector<std::string> errs;
    for (const auto& term : *spec.affinity->node_affinity->required) {
      absl::Status s = SatisfiesAll(labels, term.match_expressions, planned);
      if (s.ok()) return s;
      errs.emplace_back(s.message());
    }
    return Fail(StrCat("no required node-affinity term holds: ", StrJoin(errs, "; ")));
  }
  return absl::OkStatus();
}

// Taints that keep a pod off a node: NoSchedule and NoExecute (PreferNoSchedule is a preference).
absl::Status ToleratesHardTaints(const std::vector<api::Toleration>& tolerations,
                                 const std::vector<api::Taint>& taints) {
  for (const auto& t : taints) {
    if (t.effect == "PreferNoSchedule") continue;
    if (!scheduling::ToleratesAll(tolerations, t)) {
      return Fail(StrCat("does not tolerate taint ", scheduling::TaintToString(t)));
    }
  }
  return absl::OkStatus();
}

// Would a DaemonSet's pod run on a node with these labels and taints?
bool DaemonRunsOn(const api::DaemonSet& ds, const api::StringMap& labels,
                  const std::vector<api::Taint>& taints) {
  const api::PodSpec& spec = ds.template_.spec;
  return ToleratesHardTaints(spec.tolerations, taints).ok() && PodSelectorsHold(spec, labels).ok();
}

std::string Describe(const ResourceList& r) { return ResourceListToString(r); }

// The first resource where requests exceed available, as "cpu: 5 > 4", or "".
std::string Overflow(const ResourceList& requests, const ResourceList& available) {
  for (const auto& [k, q] : requests) {
    if (q.milli() <= 0) continue;
    auto it = available.find(k);
    Quantity have = it == available.end() ? Quantity() : it->second;
    if (q > have) return StrCat(k, ": ", q.ToString(), " > ", have.ToString());
  }
  return "";
}

// No two pods on one node bind conflicting host ports (`existing` already run there).
absl::Status CheckHostPortsOnNode(const std::vector<const api::Pod*>& existing,
                                  const std::vector<const api::Pod*>& placed) {
  std::vector<scheduling::HostPort> used;
  for (const api::Pod* p : existing) {
    auto ports = scheduling::PodHostPorts(p->spec);
    used.insert(used.end(), ports.begin(), ports.end());
  }
  for (const api::Pod* p : placed) {
    auto ports = scheduling::PodHostPorts(p->spec);
    if (absl::Status s = scheduling::CheckHostPorts(used, ports); !s.ok()) {
      return Fail(StrCat("pod ", PodKey(*p), ": ", s.message()));
    }
    used.insert(used.end(), ports.begin(), ports.end());
  }
  return absl::OkStatus();
}

class Checker {
 public:
  Checker(const solver::Snapshot& s, const solver::Plan& p) : snap_(s), plan_(p) {}

  absl::Status Run() {
    if (snap_.instance_types == nullptr) return Fail("snapshot has no instance types");
    for (const auto& it : *snap_.instance_types) types_.emplace(it.name, &it);
    for (const auto& p : snap_.pods) pods_.emplace(PodKey(p), &p);
    for (const auto& np : snap_.node_pools) pools_.emplace(np.metadata.name, &np);
    if (absl::Status s = CheckAccounting(); !s.ok()) return s;
    double cost = 0;
    std::set<std::string> names;
    for (const auto& nc : plan_.node_claims) {
      if (!names.insert(nc.name).second) return Fail(StrCat("duplicate NodeClaim name ", nc.name));
      if (absl::Status s = CheckNodeClaim(nc); !s.ok()) {
        return Fail(StrCat("nodeclaim ", nc.name, " (nodepool ", nc.node_pool, "): ", s.message()));
      }
      cost += nc.launch.price;
    }
    if (std::abs(cost - plan_.cost_per_hour) > 1e-6) {
      return Fail(StrCat("cost_per_hour ", plan_.cost_per_hour, " is not the sum of launch prices ", cost));
    }
    if (absl::Status s = CheckLimits(); !s.ok()) return s;
    for (const auto& nc : plan_.node_claims) {
      std::vector<const api::Pod*> placed;
      for (const auto& key : nc.pods) {
        if (auto it = pods_.find(key); it != pods_.end()) placed.push_back(it->second);
      }
      if (absl::Status s = CheckHostPortsOnNode({}, placed); !s.ok()) {
        return Fail(StrCat("nodeclaim ", nc.name, ": ", s.message()));
      }
    }
    for (const auto& e : plan_.existing_nodes) {
      std::vector<const api::Pod*> existing, placed;
      for (const auto& n : snap_.nodes) {
        if (!e.is_node_claim && n.node.metadata.name == e.name) {
          for (const auto& p : n.pods) existing.push_back(&p);
        }
      }
      for (const auto& key : e.pods) {
        if (auto it = pods_.find(key); it != pods_.end()) placed.push_back(it->second);
      }
      if (absl::Status s = CheckHostPortsOnNode(existing, placed); !s.ok()) {
        return Fail(StrCat("existing node ", e.name, ": ", s.message()));
      }
      absl::Status s = e.is_node_claim ? CheckInflight(e) : CheckExistingNode(e);
      if (!s.ok()) {
        return Fail(StrCat(e.is_node_claim ? "in-flight nodeclaim " : "existing node ", e.name, ": ",
                           s.message()));
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status CheckAccounting() {
    std::map<std::string, std::string> seen;  // pod → where
    auto record = [&](const std::string& pod, const std::string& where) -> absl::Status {
      if (!pods_.contains(pod)) return Fail(StrCat("pod ", pod, " in ", where, " is not a pending pod"));
      auto [it, inserted] = seen.emplace(pod, where);
      if (!inserted) {
        return Fail(StrCat("pod ", pod, " appears more than once: in ", it->second, " and in ", where));
      }
      return absl::OkStatus();
    };
    for (const auto& nc : plan_.node_claims) {
      if (nc.pods.empty()) return Fail(StrCat("nodeclaim ", nc.name, " has no pods"));
      for (const auto& p : nc.pods) {
        if (absl::Status s = record(p, StrCat("nodeclaim ", nc.name)); !s.ok()) return s;
      }
    }
    for (const auto& e : plan_.existing_nodes) {
      for (const auto& p : e.pods) {
        if (absl::Status s = record(p, StrCat("existing ", e.name)); !s.ok()) return s;
      }
    }
    for (const auto& u : plan_.unschedulable) {
      if (absl::Status s = record(u.pod, "unschedulable"); !s.ok()) return s;
      if (u.reason.empty()) return Fail(StrCat("unschedulable pod ", u.pod, " has no reason"));
    }
    for (const auto& [key, pod] : pods_) {
      if (!seen.contains(key)) return Fail(StrCat("pending pod ", key, " is not in the plan"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckNodeClaim(const solver::PlannedNodeClaim& nc) {
    auto pool_it = pools_.find(nc.node_pool);
    if (pool_it == pools_.end()) return Fail("unknown nodepool");
    const api::NodePool& pool = *pool_it->second;

    // Instance-type options and the launch choice.
    if (nc.instance_type_options.empty()) return Fail("no instance-type options");
    if (static_cast<int>(nc.instance_type_options.size()) > snap_.options.max_instance_types) {
      return Fail(StrCat(nc.instance_type_options.size(), " instance-type options exceed the maximum of ",
                         snap_.options.max_instance_types));
    }
    std::set<std::string> options;
    for (const auto& o : nc.instance_type_options) {
      if (!types_.contains(o)) return Fail(StrCat("option ", o, " is not in the catalog"));
      if (!options.insert(o).second) return Fail(StrCat("option ", o, " is listed twice"));
    }
    const auto& launch = nc.launch;
    if (!options.contains(launch.instance_type)) {
      return Fail(StrCat("launched type \"", launch.instance_type, "\" is not among the options"));
    }
    const InstanceType& it = *types_.at(launch.instance_type);
    const Offering* offering = nullptr;
    for (const auto& o : it.offerings) {
      if (o.zone == launch.zone && o.capacity_type == launch.capacity_type) offering = &o;
    }
    if (offering == nullptr) {
      return Fail(StrCat(it.name, " has no offering in ", launch.zone, "/", launch.capacity_type));
    }
    if (!offering->available) {
      return Fail(StrCat("offering ", it.name, " ", launch.zone, "/", launch.capacity_type,
                         " is not available"));
    }
    if (std::abs(offering->price - launch.price) > 1e-9) {
      return Fail(StrCat("price ", launch.price, " differs from the offering's ", offering->price));
    }
    if (offering->price_simulated != launch.price_simulated) {
      return Fail("price_simulated differs from the offering's");
    }

    // Labels: the launched type's, its offering's, the NodePool's.
    const api::StringMap labels = Normalize(nc.labels);
    auto expect_label = [&](std::string_view k, std::string_view v) -> absl::Status {
      auto l = labels.find(k);
      if (l == labels.end() || l->second != v) {
        return Fail(StrCat("label ", k, " should be ", v, ", is ",
                           l == labels.end() ? "absent" : l->second));
      }
      return absl::OkStatus();
    };
    for (const auto& [k, v] : it.labels) {
      if (absl::Status s = expect_label(api::NormalizeLabelKey(k), v); !s.ok()) return s;
    }
    if (absl::Status s = expect_label(api::kLabelZone, launch.zone); !s.ok()) return s;
    if (absl::Status s = expect_label(api::kLabelCapacityType, launch.capacity_type); !s.ok()) return s;
    if (absl::Status s = expect_label(api::kLabelNodePool, pool.metadata.name); !s.ok()) return s;
    for (const auto& [k, v] : pool.template_.labels) {
      if (absl::Status s = expect_label(api::NormalizeLabelKey(k), v); !s.ok()) return s;
    }

    // The NodePool's requirements hold on the launched node.
    if (absl::Status s = SatisfiesAll(labels, pool.template_.spec.requirements, /*planned=*/true);
        !s.ok()) {
      return Fail(StrCat("nodepool requirements: ", s.message()));
    }
    // Every option could satisfy the NodePool's instance-level requirements.
    for (const auto& o : nc.instance_type_options) {
      const InstanceType& ot = *types_.at(o);
      api::StringMap ol = Normalize(ot.labels);
      for (const auto& r : pool.template_.spec.requirements) {
        std::string_view key = api::NormalizeLabelKey(r.key);
        // Keys the type defines, and the provider's instance labels it lacks (they do not exist on
        // it); custom labels and offering labels are not properties of the type.
        if (!ot.labels.contains(key) &&
            (!key.starts_with("karpenter.k8s.aws/instance-") || ResolvedAtLaunch(key))) {
          continue;
        }
        if (absl::Status s = Satisfies(ol, r); !s.ok()) {
          return Fail(StrCat("option ", o, " violates the nodepool requirements: ", s.message()));
        }
      }
    }
    if (!nc.min_values_relaxed) {
      for (const auto& r : pool.template_.spec.requirements) {
        if (!r.min_values) continue;
        std::string_view key = api::NormalizeLabelKey(r.key);
        std::set<std::string> distinct;
        for (const auto& o : nc.instance_type_options) {
          const InstanceType& ot = *types_.at(o);
          if (key == api::kLabelZone || key == api::kLabelCapacityType) {
            for (const auto& off : ot.offerings) {
              distinct.insert(key == api::kLabelZone ? off.zone : off.capacity_type);
            }
          } else if (auto l = ot.labels.find(key); l != ot.labels.end()) {
            distinct.insert(l->second);
          }
        }
        if (static_cast<int>(distinct.size()) < *r.min_values) {
          return Fail(StrCat("options have ", distinct.size(), " distinct values of ", key,
                             ", below minValues ", *r.min_values));
        }
      }
    }

    // Taints are the NodePool's.
    if (nc.taints != pool.template_.spec.taints) return Fail("taints differ from the nodepool's");

    // Each pod: selectors, affinity, tolerations; and the sum of requests fits.
    ResourceList pod_requests;
    for (const auto& key : nc.pods) {
      const api::Pod& pod = *pods_.at(key);
      if (absl::Status s = PodSelectorsHold(pod.spec, labels, /*planned=*/true); !s.ok()) {
        return Fail(StrCat("pod ", key, ": ", s.message()));
      }
      if (absl::Status s = ToleratesHardTaints(pod.spec.tolerations, pool.template_.spec.taints); !s.ok()) {
        return Fail(StrCat("pod ", key, ": ", s.message()));
      }
      AddInto(pod_requests, scheduling::PodSchedulingRequests(pod.spec));
    }
    if (std::string o = Overflow(pod_requests, nc.requests); !o.empty()) {
      return Fail(StrCat("spec.resources.requests ", Describe(nc.requests),
                         " do not cover the pods' requests (", o, ")"));
    }
    ResourceList total = pod_requests;
    for (const auto& ds : snap_.daemon_sets) {
      if (DaemonRunsOn(ds, labels, pool.template_.spec.taints)) {
        AddInto(total, scheduling::PodSchedulingRequests(ds.template_.spec));
      }
    }
    ResourceList allocatable = it.Allocatable();
    if (std::string o = Overflow(total, allocatable); !o.empty()) {
      return Fail(StrCat("pods + daemonsets ", Describe(total), " exceed the allocatable of ", it.name,
                         " ", Describe(allocatable), " (", o, ")"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckLimits() {
    std::map<std::string, ResourceList> usage;  // nodepool → capacity incl. nodes
    std::map<std::string, int> new_claims;
    auto add = [&](const std::string& pool, const ResourceList& capacity) {
      ResourceList c = capacity;
      c[std::string(api::kResourceNodes)] = Quantity::FromUnits(1);
      AddInto(usage[pool], c);
    };
    for (const auto& nc : plan_.node_claims) {
      add(nc.node_pool, types_.at(nc.launch.instance_type)->capacity);
      ++new_claims[nc.node_pool];
    }
    for (const auto& n : snap_.nodes) {
      auto pool = n.node.metadata.labels.find(api::kLabelNodePool);
      if (pool != n.node.metadata.labels.end()) add(pool->second, n.node.capacity);
    }
    for (const auto& nc : snap_.node_claims) {
      auto pool = nc.metadata.labels.find(api::kLabelNodePool);
      if (pool != nc.metadata.labels.end()) add(pool->second, nc.status.capacity);
    }
    for (const auto& [name, count] : new_claims) {
      const api::NodePool& pool = *pools_.at(name);
      if (pool.limits.empty()) continue;
      const ResourceList& used = usage[name];
      for (const auto& [k, limit] : pool.limits) {
        auto u = used.find(k);
        if (u != used.end() && u->second > limit) {
          return Fail(StrCat("nodepool ", name, ": ", count, " new nodeclaim(s) bring ", k, " to ",
                             u->second.ToString(), ", above the limit ", limit.ToString()));
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckExistingNode(const solver::ExistingNodePlacement& e) {
    const solver::ExistingNode* node = nullptr;
    for (const auto& n : snap_.nodes) {
      if (n.node.metadata.name == e.name) node = &n;
    }
    if (node == nullptr) return Fail("not in the snapshot");
    if (node->node.unschedulable) return Fail("is cordoned");
    if (node->node.metadata.deletion_timestamp) return Fail("is being deleted");
    api::StringMap labels = Normalize(node->node.metadata.labels);
    labels.emplace(std::string(api::kLabelHostname), e.name);
    ResourceList used;
    for (const auto& p : node->pods) AddInto(used, scheduling::PodSchedulingRequests(p.spec));
    for (const auto& key : e.pods) {
      const api::Pod& pod = *pods_.at(key);
      if (absl::Status s = PodSelectorsHold(pod.spec, labels); !s.ok()) {
        return Fail(StrCat("pod ", key, ": ", s.message()));
      }
      if (absl::Status s = ToleratesHardTaints(pod.spec.tolerations, node->node.taints); !s.ok()) {
        return Fail(StrCat("pod ", key, ": ", s.message()));
      }
      AddInto(used, scheduling::PodSchedulingRequests(pod.spec));
    }
    if (std::string o = Overflow(used, node->node.allocatable); !o.empty()) {
      return Fail(StrCat("bound and placed pods ", Describe(used), " exceed allocatable ",
                         Describe(node->node.allocatable), " (", o, ")"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckInflight(const solver::ExistingNodePlacement& e) {
    const api::NodeClaim* nc = nullptr;
    for (const auto& c : snap_.node_claims) {
      if (c.metadata.name == e.name) nc = &c;
    }
    if (nc == nullptr) return Fail("not in the snapshot");
    if (nc->metadata.deletion_timestamp) return Fail("is being deleted");
    auto claim_reqs = scheduling::Requirements::FromSelector(nc->spec.requirements);
    if (!claim_reqs.ok()) return claim_reqs.status();
    claim_reqs->Add(scheduling::Requirements::FromLabels(nc->metadata.labels));
    ResourceList used;
    for (const auto& key : e.pods) {
      const api::Pod& pod = *pods_.at(key);
      if (absl::Status s = ToleratesHardTaints(pod.spec.tolerations, nc->spec.taints); !s.ok()) {
        return Fail(StrCat("pod ", key, ": ", s.message()));
      }
      // The NodeClaim's instance type is not known yet: the pod's requirements must be compatible
      // with the NodeClaim's.
      scheduling::Requirements pod_reqs = scheduling::Requirements::FromLabels(pod.spec.node_selector);
      if (absl::Status s = claim_reqs->Intersects(pod_reqs); !s.ok()) {
        return Fail(StrCat("pod ", key, ": nodeSelector: ", s.message()));
      }
      const auto& aff = pod.spec.affinity;
      if (aff && aff->node_affinity && aff->node_affinity->required &&
          !aff->node_affinity->required->empty()) {
        bool any = false;
        for (const auto& term : *aff->node_affinity->required) {
          auto t = scheduling::Requirements::FromSelector(term.match_expressions);
          if (t.ok() && claim_reqs->Intersects(*t).ok()) any = true;
        }
        if (!any) return Fail(StrCat("pod ", key, ": no required node-affinity term is compatible"));
      }
      AddInto(used, scheduling::PodSchedulingRequests(pod.spec));
    }
    if (!nc->status.allocatable.empty()) {
      if (std::string o = Overflow(used, nc->status.allocatable); !o.empty()) {
        return Fail(StrCat("placed pods ", Describe(used), " exceed allocatable ",
                           Describe(nc->status.allocatable), " (", o, ")"));
      }
    }
    return absl::OkStatus();
  }

  const solver::Snapshot& snap_;
  const solver::Plan& plan_;
  std::map<std::string, const InstanceType*, std::less<>> types_;
  std::map<std::string, const api::Pod*, std::less<>> pods_;
  std::map<std::string, const api::NodePool*, std::less<>> pools_;
};

}  // namespace

absl::Status CheckPlan(const solver::Snapshot& snapshot, const solver::Plan& plan) {
  return Checker(snapshot, plan).Run();
}

}  // namespace joinery::testing
