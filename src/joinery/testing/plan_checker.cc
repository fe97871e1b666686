#include "joinery/testing/plan_checker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "joinery/api/labels.h"
#include "joinery/common/strings.h"
#include "joinery/scheduling/host_ports.h"
#include "joinery/scheduling/requirements.h"
#include "joinery/scheduling/resources.h"
#include "joinery/scheduling/taints.h"
#include "joinery/scheduling/volumes.h"

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

// ---- Topology: pod (anti-)affinity and topology spread ----
//
// The checks below look only at the final state of the plan (where every pod ends up), never at
// the order the solver placed pods in. Each rule is a condition the final state must meet whatever
// that order was, so a violation is a real one; some violations that only an ordering argument
// could prove are not detected.

// Succeeded, Failed and terminating pods no longer count toward any topology.
bool Inactive(const api::Pod& p) {
  return p.status.phase == "Succeeded" || p.status.phase == "Failed" ||
         p.metadata.deletion_timestamp.has_value();
}

std::string Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return StrJoin(v, ",");
}

// Canonical text of a label selector, to compare constraints and print them.
std::string SelectorString(const api::LabelSelector& sel) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : sel.match_labels) parts.push_back(StrCat(k, "=", v));
  for (const auto& e : sel.match_expressions) {
    parts.push_back(StrCat(e.key, " ", e.operator_, " [", Sorted(e.values), "]"));
  }
  std::sort(parts.begin(), parts.end());
  parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
  return StrCat("{", StrJoin(parts, ", "), "}");
}

// The pods a pod-affinity term or a spread constraint selects, from its owner's point of view.
struct PodMatcher {
  bool nothing = false;  // a null label selector selects no pod
  bool all_namespaces = false;
  std::set<std::string> namespaces;
  api::LabelSelector selector;

  bool Matches(const api::Pod& p) const {
    if (nothing) return false;
    if (!all_namespaces && !namespaces.contains(p.metadata.namespace_)) return false;
    return scheduling::SelectorMatches(selector, p.metadata.labels);
  }
  std::string ToString() const {
    if (nothing) return "{nothing}";
    return StrCat(
        SelectorString(selector), " in namespaces ",
        all_namespaces
            ? std::string("*")
            : StrJoin(std::vector<std::string>(namespaces.begin(), namespaces.end()), ","));
  }
};

// matchLabelKeys add `key In [owner's value]`, mismatchLabelKeys `key NotIn [owner's value]`, for
// each key the owner carries.
api::LabelSelector WithLabelKeys(api::LabelSelector sel, const api::Pod& owner,
                                 const std::vector<std::string>& match,
                                 const std::vector<std::string>& mismatch) {
  for (const auto& [keys, op] : {std::pair{&match, "In"}, std::pair{&mismatch, "NotIn"}}) {
    for (const auto& k : *keys) {
      auto v = owner.metadata.labels.find(k);
      if (v == owner.metadata.labels.end()) continue;
      sel.match_expressions.push_back({.key = k, .operator_ = op, .values = {v->second}});
    }
  }
  return sel;
}

// nullopt when the term cannot be evaluated from a snapshot: a non-empty namespaceSelector needs
// the Namespace objects, which the snapshot does not carry. Such terms are not checked.
std::optional<PodMatcher> TermMatcher(const api::Pod& owner, const api::PodAffinityTerm& t) {
  PodMatcher m;
  if (!t.label_selector) {
    m.nothing = true;
    return m;
  }
  m.selector = WithLabelKeys(*t.label_selector, owner, t.match_label_keys, t.mismatch_label_keys);
  if (t.namespaces.empty() && !t.namespace_selector) {
    m.namespaces.insert(owner.metadata.namespace_);
    return m;
  }
  m.namespaces.insert(t.namespaces.begin(), t.namespaces.end());
  if (t.namespace_selector) {
    if (!t.namespace_selector->match_labels.empty() ||
        !t.namespace_selector->match_expressions.empty()) {
      return std::nullopt;
    }
    m.all_namespaces = true;  // an empty namespaceSelector selects every namespace
  }
  return m;
}

PodMatcher SpreadMatcher(const api::Pod& owner, const api::TopologySpreadConstraint& c) {
  PodMatcher m;
  if (!c.label_selector) {
    m.nothing = true;
    return m;
  }
  m.selector = WithLabelKeys(*c.label_selector, owner, c.match_label_keys, {});
  m.namespaces.insert(owner.metadata.namespace_);
  return m;
}

bool HonorsNodeAffinity(const api::TopologySpreadConstraint& c) {
  return c.node_affinity_policy != "Ignore";
}
bool HonorsTaints(const api::TopologySpreadConstraint& c) {
  return c.node_taints_policy == "Honor";
}

// Does the pod's own nodeSelector and required node affinity allow `value` for `key`? Keys the
// pod says nothing about allow every value; with several required terms, one must allow it.
bool AllowsDomain(const api::Pod& pod, std::string_view key, std::string_view value) {
  for (const auto& [k, v] : pod.spec.node_selector) {
    if (api::NormalizeLabelKey(k) == key && v != value) return false;
  }
  const auto& aff = pod.spec.affinity;
  if (!aff || !aff->node_affinity || !aff->node_affinity->required ||
      aff->node_affinity->required->empty()) {
    return true;
  }
  for (const auto& term : *aff->node_affinity->required) {
    auto reqs = scheduling::Requirements::FromSelector(term.match_expressions);
    if (!reqs.ok() || reqs->Get(key).Has(value)) return true;
  }
  return false;
}

// The part of a pod that decides which nodes count for its spread constraint (nodeAffinityPolicy
// and nodeTaintsPolicy), as text: constraints are only "the same" when this is too.
std::string NodeFilterString(const api::Pod& pod, const api::TopologySpreadConstraint& c) {
  std::string out;
  if (HonorsNodeAffinity(c)) {
    StrAppend(out, "affinity:");
    for (const auto& [k, v] : pod.spec.node_selector) StrAppend(out, k, "=", v, ";");
    const auto& aff = pod.spec.affinity;
    if (aff && aff->node_affinity && aff->node_affinity->required) {
      for (const auto& term : *aff->node_affinity->required) {
        StrAppend(out, "|");
        for (const auto& r : term.match_expressions) {
          StrAppend(out, r.key, " ", r.operator_, " [", StrJoin(r.values, ","), "];");
        }
      }
    }
  }
  if (HonorsTaints(c)) {
    StrAppend(out, "taints:");
    for (const auto& t : pod.spec.tolerations) {
      StrAppend(out, t.key, " ", t.operator_, " ", t.value, ":", t.effect, ";");
    }
  }
  return out;
}

// A place pods run: a new NodeClaim, an existing Node or an in-flight NodeClaim.
struct Location {
  std::string what;       // "nodeclaim x", "node y", "in-flight nodeclaim z"
  api::StringMap labels;  // normalized; kubernetes.io/hostname holds the hostname domain
  const std::vector<api::Taint>* taints = nullptr;
  bool planned = false;   // labels resolved at launch may be absent
  bool inflight = false;  // an in-flight NodeClaim: its zone etc. may not be known yet
};

struct PodAt {
  const api::Pod* pod;
  int loc;      // index into the locations
  bool placed;  // placed by the plan (otherwise already bound to an existing node)
};

// One value of a topology key that a NodePool or an existing node offers, with the taints a pod
// meets there (for nodeTaintsPolicy: Honor).
struct DomainSource {
  std::string value;
  const std::vector<api::Taint>* taints;
  // The existing node's labels; null for a NodePool. Karpenter counts a node's domain for a
  // spread only when the node passes the spread's node filter (nodeAffinityPolicy: Honor).
  const api::StringMap* node_labels = nullptr;
};

class TopologyChecker {
 public:
  TopologyChecker(const solver::Snapshot& s, const solver::Plan& p,
                  const std::map<std::string, const api::Pod*, std::less<>>& pending)
      : snap_(s), plan_(p), pending_(pending) {}

  absl::Status Run() {
    BuildLocations();
    if (absl::Status s = CheckAntiAffinity(); !s.ok()) return s;
    if (absl::Status s = CheckInverseAntiAffinity(); !s.ok()) return s;
    if (absl::Status s = CheckAffinity(); !s.ok()) return s;
    return CheckSpread();
  }

 private:
  void BuildLocations() {
    auto add_pods = [&](int loc, const std::vector<std::string>& keys) {
      for (const auto& key : keys) {
        if (auto it = pending_.find(key); it != pending_.end())
          pods_.push_back({it->second, loc, true});
      }
    };
    for (const auto& nc : plan_.node_claims) {
      Location l{StrCat("nodeclaim ", nc.name), Normalize(nc.labels), &nc.taints, true, false};
      l.labels[std::string(api::kLabelHostname)] = nc.name;  // a new node is its own host domain
      locs_.push_back(std::move(l));
      add_pods(static_cast<int>(locs_.size()) - 1, nc.pods);
    }
    std::map<std::string, int, std::less<>> nodes, claims;
    for (const auto& n : snap_.nodes) {
      Location l{StrCat("node ", n.node.metadata.name), Normalize(n.node.metadata.labels),
                 &n.node.taints, false, false};
      l.labels.emplace(std::string(api::kLabelHostname), n.node.metadata.name);
      locs_.push_back(std::move(l));
      int loc = static_cast<int>(locs_.size()) - 1;
      nodes.emplace(n.node.metadata.name, loc);
      for (const auto& p : n.pods) {
        if (!Inactive(p)) pods_.push_back({&p, loc, false});
      }
    }
    for (const auto& c : snap_.node_claims) {
      Location l{StrCat("in-flight nodeclaim ", c.metadata.name), Normalize(c.metadata.labels),
                 &c.spec.taints, true, true};
      for (const auto& r : c.spec.requirements) {
        if (r.operator_ == "In" && r.values.size() == 1) {
          l.labels.emplace(std::string(api::NormalizeLabelKey(r.key)), r.values[0]);
        }
      }
      l.labels[std::string(api::kLabelHostname)] = c.metadata.name;
      locs_.push_back(std::move(l));
      claims.emplace(c.metadata.name, static_cast<int>(locs_.size()) - 1);
    }
    for (const auto& e : plan_.existing_nodes) {
      const auto& index = e.is_node_claim ? claims : nodes;
      if (auto it = index.find(e.name); it != index.end()) add_pods(it->second, e.pods);
    }
  }

  const std::string* Domain(const PodAt& p, std::string_view key) const {
    const api::StringMap& labels = locs_[p.loc].labels;
    auto it = labels.find(key);
    return it == labels.end() ? nullptr : &it->second;
  }

  // Pods (indexes into pods_) by domain of `key`, computed once per key.
  const std::map<std::string, std::vector<int>, std::less<>>& ByDomain(const std::string& key) {
    auto [it, inserted] = by_domain_.try_emplace(key);
    if (inserted) {
      for (int i = 0; i < static_cast<int>(pods_.size()); ++i) {
        if (const std::string* d = Domain(pods_[i], key)) it->second[*d].push_back(i);
      }
    }
    return it->second;
  }
  const std::vector<int>& InDomain(const std::string& key, const std::string& domain) {
    static const std::vector<int> kNone;
    const auto& by = ByDomain(key);
    auto it = by.find(domain);
    return it == by.end() ? kNone : it->second;
  }

  // The first two pods in `domain` of `key` that `m` selects, and the first placed one (indexes
  // into pods_, -1 when none), memoized: many owners share a term and a domain.
  struct DomainMatches {
    int first = -1;
    int second = -1;
    int first_placed = -1;
    // A matching pod other than `self`, or -1.
    int Other(const api::Pod* self, const std::vector<PodAt>& pods) const {
      if (first >= 0 && pods[first].pod != self) return first;
      if (second >= 0 && pods[second].pod != self) return second;
      return -1;
    }
  };
  const DomainMatches& MatchesIn(const PodMatcher& m, const std::string& key,
                                 const std::string& domain) {
    auto [it, inserted] = matches_.try_emplace(StrCat(m.ToString(), '\0', key, '\0', domain));
    if (inserted) {
      DomainMatches& dm = it->second;
      for (int i : InDomain(key, domain)) {
        if (dm.second >= 0 && dm.first_placed >= 0) break;
        if (!m.Matches(*pods_[i].pod)) continue;
        if (dm.first < 0) {
          dm.first = i;
        } else if (dm.second < 0) {
          dm.second = i;
        }
        if (pods_[i].placed && dm.first_placed < 0) dm.first_placed = i;
      }
    }
    return it->second;
  }

  std::string Where(const PodAt& p) const {
    return StrCat(p.placed ? "pod " : "existing pod ", PodKey(*p.pod), " (on ", locs_[p.loc].what,
                  ")");
  }

  static std::string Key(std::string_view topology_key) {
    return std::string(api::NormalizeLabelKey(topology_key));
  }

  // Required anti-affinity of placed pods: no other matching pod, existing or placed, shares the
  // owner's domain. (A node without the key is in no domain and conflicts with nothing.)
  absl::Status CheckAntiAffinity() {
    for (const PodAt& a : pods_) {
      if (!a.placed) continue;
      const auto& aff = a.pod->spec.affinity;
      if (!aff || !aff->pod_anti_affinity) continue;
      for (const auto& term : aff->pod_anti_affinity->required) {
        std::optional<PodMatcher> m = TermMatcher(*a.pod, term);
        if (!m) continue;
        std::string key = Key(term.topology_key);
        const std::string* d = Domain(a, key);
        if (d == nullptr) continue;
        if (int other = MatchesIn(*m, key, *d).Other(a.pod, pods_); other >= 0) {
          return Fail(StrCat(Where(a), ": required pod anti-affinity on ", key, " ", m->ToString(),
                             " violated: ", Where(pods_[other]), " is in the same domain ", *d));
        }
      }
    }
    return absl::OkStatus();
  }

  // The inverse rule: an existing pod's required anti-affinity keeps placed pods it selects out of
  // its domain. (Placed owners against placed pods are covered by CheckAntiAffinity.)
  absl::Status CheckInverseAntiAffinity() {
    for (const PodAt& e : pods_) {
      if (e.placed) continue;
      const auto& aff = e.pod->spec.affinity;
      if (!aff || !aff->pod_anti_affinity) continue;
      for (const auto& term : aff->pod_anti_affinity->required) {
        std::optional<PodMatcher> m = TermMatcher(*e.pod, term);
        if (!m) continue;
        std::string key = Key(term.topology_key);
        const std::string* d = Domain(e, key);
        if (d == nullptr) continue;
        if (int placed = MatchesIn(*m, key, *d).first_placed; placed >= 0) {
          return Fail(StrCat(Where(pods_[placed]), " is in domain ", *d, " of ", Where(e),
                             ", whose required pod anti-affinity on ", key, " ", m->ToString(),
                             " selects it (inverse anti-affinity)"));
        }
      }
    }
    return absl::OkStatus();
  }

  // Required affinity of placed pods: the owner's domain holds another matching pod. The one
  // exception is the first pod of a self-selecting group: it may start a domain when no matching
  // pod it could join existed. Two such "first" pods of terms that select each other cannot both
  // be first: whichever was placed second would have seen the other.
  absl::Status CheckAffinity() {
    struct Escaper {
      const PodAt* pod;
      std::string key;
      PodMatcher m;
    };
    std::vector<Escaper> escapers;
    for (const PodAt& a : pods_) {
      if (!a.placed) continue;
      const auto& aff = a.pod->spec.affinity;
      if (!aff || !aff->pod_affinity) continue;
      for (const auto& term : aff->pod_affinity->required) {
        std::optional<PodMatcher> m = TermMatcher(*a.pod, term);
        if (!m) continue;
        std::string key = Key(term.topology_key);
        const std::string* d = Domain(a, key);
        if (d == nullptr) {
          // An in-flight NodeClaim whose value is not known yet cannot be judged.
          if (locs_[a.loc].inflight) continue;
          return Fail(StrCat(Where(a), ": required pod affinity on ", key,
                             ": the node has no value for the key"));
        }
        if (MatchesIn(*m, key, *d).Other(a.pod, pods_) >= 0) continue;
        std::string what = StrCat(Where(a), ": required pod affinity on ", key, " ", m->ToString(),
                                  " unsatisfied: no other matching pod in domain ", *d);
        if (!m->Matches(*a.pod)) return Fail(StrCat(what, " (and the pod does not select itself)"));
        for (const PodAt& e : pods_) {
          if (e.placed || !m->Matches(*e.pod)) continue;
          const std::string* de = Domain(e, key);
          if (de != nullptr && AllowsDomain(*a.pod, key, *de)) {
            return Fail(StrCat(what, ", but ", Where(e), " matches in domain ", *de));
          }
        }
        escapers.push_back({&a, key, *m});
      }
    }
    // Does `x`'s term, as the pod placed second, see `y`?
    auto sees = [&](const Escaper& x, const Escaper& y) {
      if (!x.m.Matches(*y.pod->pod)) return false;
      const std::string* d = Domain(*y.pod, x.key);
      return d != nullptr && AllowsDomain(*x.pod->pod, x.key, *d);
    };
    for (size_t i = 0; i < escapers.size(); ++i) {
      for (size_t j = i + 1; j < escapers.size(); ++j) {
        const Escaper& x = escapers[i];
        const Escaper& y = escapers[j];
        if (x.pod->pod == y.pod->pod || !sees(x, y) || !sees(y, x)) continue;
        return Fail(StrCat(Where(*x.pod), " and ", Where(*y.pod),
                           ": required pod affinity: each is alone in its domain (",
                           *Domain(*x.pod, x.key), ", ", *Domain(*y.pod, y.key), " of ", x.key,
                           ", ", y.key,
                           ") though each selects the other; the second should have "
                           "joined the first"));
      }
    }
    return absl::OkStatus();
  }

  // Values of `key` the NodePools can launch (per instance type and available offering the pool
  // allows) and the existing nodes carry.
  const std::vector<DomainSource>& Universe(const std::string& key) {
    auto [it, inserted] = universe_.try_emplace(key);
    if (!inserted) return it->second;
    std::vector<DomainSource>& out = it->second;
    for (const auto& pool : snap_.node_pools) {
      if (key == api::kLabelHostname) break;  // every new node is a fresh host domain
      if (pool.replicas.has_value() || pool.metadata.deletion_timestamp.has_value()) continue;
      auto reqs = scheduling::Requirements::FromSelector(pool.template_.spec.requirements);
      if (!reqs.ok()) continue;
      reqs->Add(scheduling::Requirements::FromLabels(pool.template_.labels));  // labels narrow too
      scheduling::Requirement zone = reqs->Get(api::kLabelZone);
      scheduling::Requirement capacity_type = reqs->Get(api::kLabelCapacityType);
      scheduling::Requirement want = reqs->Get(key);
      std::optional<std::string> pool_value;
      for (const auto& [k, v] : pool.template_.labels) {
        if (api::NormalizeLabelKey(k) == key) pool_value = v;
      }
      if (!pool_value && want.Operator() == "In" && want.values().size() == 1) {
        pool_value = *want.values().begin();
      }
      std::set<std::string> values;
      for (const auto& type : *snap_.instance_types) {
        bool compatible = true;
        std::optional<std::string> type_value;
        for (const auto& [k, v] : type.labels) {
          std::string_view nk = api::NormalizeLabelKey(k);
          if (const scheduling::Requirement* r = reqs->Find(nk); r != nullptr && !r->Has(v)) {
            compatible = false;
          }
          if (nk == key) type_value = v;
        }
        if (!compatible) continue;
        for (const auto& o : type.offerings) {
          if (!o.available || !zone.Has(o.zone) || !capacity_type.Has(o.capacity_type)) continue;
          if (key == api::kLabelZone) {
            values.insert(o.zone);
          } else if (key == api::kLabelCapacityType) {
            values.insert(o.capacity_type);
          } else if (std::optional<std::string> v = type_value ? type_value : pool_value;
                     v && want.Has(*v)) {
            values.insert(*v);
          }
        }
      }
      for (const auto& v : values) out.push_back({v, &pool.template_.spec.taints});
    }
    for (const auto& n : snap_.nodes) {
      if (key == api::kLabelHostname) {
        auto h = n.node.metadata.labels.find(api::kLabelHostname);
        out.push_back({h == n.node.metadata.labels.end() ? n.node.metadata.name : h->second,
                       &n.node.taints, &n.node.metadata.labels});
        continue;
      }
      for (const auto& [k, v] : n.node.metadata.labels) {
        if (api::NormalizeLabelKey(k) == key) {
          out.push_back({v, &n.node.taints, &n.node.metadata.labels});
        }
      }
    }
    return it->second;
  }

  // DoNotSchedule spread constraints of placed pods. Owners with the same constraint (key, skew,
  // minDomains, selector after matchLabelKeys, node filter) form a group. Counts only grow while
  // the solver places pods, so for the domain d of any owner,
  //   existing(d) + matching owners in d − final global minimum ≤ maxSkew
  // must hold: the last owner placed in d saw at least that many (counting itself if it matches)
  // and a global minimum no greater than the final one. existing(d) counts bound pods on nodes
  // that pass the owner's node filter (nodeAffinityPolicy, nodeTaintsPolicy); the global minimum
  // (zero for hostname, and when fewer eligible domains than minDomains exist) runs over the
  // eligible domains, counting every matching pod there.
  absl::Status CheckSpread() {
    struct Group {
      std::string key;
      const api::TopologySpreadConstraint* c;
      const api::Pod* owner;
      PodMatcher m;
      std::map<std::string, std::vector<const PodAt*>> owners;  // by domain
    };
    std::map<std::string, Group> groups;
    for (const PodAt& a : pods_) {
      if (!a.placed) continue;
      for (const auto& c : a.pod->spec.topology_spread_constraints) {
        if (c.when_unsatisfiable == "ScheduleAnyway") continue;  // a preference
        std::string key = Key(c.topology_key);
        PodMatcher m = SpreadMatcher(*a.pod, c);
        const std::string* d = Domain(a, key);
        if (d == nullptr) {
          if (locs_[a.loc].inflight) continue;  // not known yet: cannot be judged
          return Fail(StrCat(Where(a), ": topology spread on ", key,
                             ": the node has no value for the key"));
        }
        std::string id = StrCat(key, "|", c.max_skew, "|",
                                c.min_domains ? StrCat(*c.min_domains) : std::string("-"), "|",
                                m.ToString(), "|", NodeFilterString(*a.pod, c));
        auto [g, inserted] = groups.try_emplace(id);
        if (inserted) g->second = Group{key, &c, a.pod, m, {}};
        g->second.owners[*d].push_back(&a);
      }
    }
    for (const auto& [id, g] : groups) {
      const api::TopologySpreadConstraint& c = *g.c;
      // Bound pods in `domain` that count for the group, and placed pods that match its selector.
      auto existing = [&](const std::string& domain) {
        int n = 0;
        for (int i : InDomain(g.key, domain)) {
          const PodAt& p = pods_[i];
          if (p.placed || !g.m.Matches(*p.pod)) continue;
          const Location& l = locs_[p.loc];
          if (HonorsNodeAffinity(c) && !PodSelectorsHold(g.owner->spec, l.labels, l.planned).ok()) {
            continue;
          }
          if (HonorsTaints(c) && !ToleratesHardTaints(g.owner->spec.tolerations, *l.taints).ok()) {
            continue;
          }
          ++n;
        }
        return n;
      };
      auto placed = [&](const std::string& domain) {
        int n = 0;
        for (int i : InDomain(g.key, domain)) n += pods_[i].placed && g.m.Matches(*pods_[i].pod);
        return n;
      };
      int global_min = 0;
      std::string min_why = "hostname";
      if (g.key != api::kLabelHostname) {
        std::set<std::string> eligible;
        for (const DomainSource& src : Universe(g.key)) {
          if (HonorsNodeAffinity(c) && !AllowsDomain(*g.owner, g.key, src.value)) continue;
          if (HonorsNodeAffinity(c) && src.node_labels != nullptr &&
              !PodSelectorsHold(g.owner->spec, *src.node_labels, /*planned=*/false).ok()) {
            continue;
          }
          if (HonorsTaints(c) &&
              !ToleratesHardTaints(g.owner->spec.tolerations, *src.taints).ok()) {
            continue;
          }
          eligible.insert(src.value);
        }
        if (eligible.empty()) continue;  // no domain to measure skew against
        std::vector<std::string> counts;
        global_min = std::numeric_limits<int>::max();
        for (const auto& d : eligible) {
          int n = existing(d) + placed(d);
          global_min = std::min(global_min, n);
          counts.push_back(StrCat(d, "=", n));
        }
        min_why = StrCat("eligible domains ", StrJoin(counts, " "));
        if (c.min_domains && static_cast<int>(eligible.size()) < *c.min_domains) {
          global_min = 0;
          min_why = StrCat(eligible.size(), " eligible domain(s) < minDomains ", *c.min_domains);
        }
      }
      for (const auto& [d, owners] : g.owners) {
        int matching = 0;
        for (const PodAt* o : owners) matching += g.m.Matches(*o->pod);
        int before = existing(d);
        if (before + matching - global_min > c.max_skew) {
          return Fail(StrCat(Where(*owners.back()), ": topology spread on ", g.key, " (maxSkew ",
                             c.max_skew, ", ", g.m.ToString(), ") violated in domain ", d, ": ",
                             before, " existing + ", matching,
                             " placed matching pods with this constraint, global minimum ",
                             global_min, " (", min_why, ")"));
        }
      }
    }
    return absl::OkStatus();
  }

  const solver::Snapshot& snap_;
  const solver::Plan& plan_;
  const std::map<std::string, const api::Pod*, std::less<>>& pending_;
  std::vector<Location> locs_;
  std::vector<PodAt> pods_;
  std::map<std::string, std::map<std::string, std::vector<int>, std::less<>>> by_domain_;
  std::map<std::string, std::vector<DomainSource>> universe_;
  std::map<std::string, DomainMatches> matches_;
};

// ---- Volumes: zones and attach limits ----
//
// Kubernetes' own rules, looked up through VolumeIndex (claims, volumes, classes, CSINodes) but
// evaluated here: a bound claim's PersistentVolume node affinity (terms ORed) and an unbound
// WaitForFirstConsumer claim's allowedTopologies (terms ORed) must hold on the pod's node, and the
// unique volumes per CSI driver on a node must stay within its attach limit.

// The pods of one node, as the plan places them.
struct PlacedOn {
  std::string where;  // "nodeclaim x (nodepool p)", "existing node n", "in-flight nodeclaim c"
  std::vector<std::pair<std::string, const api::Pod*>> pods;  // key, pod
};

class VolumeChecker {
 public:
  VolumeChecker(const solver::Snapshot& s, const solver::Plan& p,
                const std::map<std::string, const api::Pod*, std::less<>>& pending,
                const std::map<std::string, const InstanceType*, std::less<>>& types)
      : snap_(s),
        plan_(p),
        pending_(pending),
        types_(types),
        index_(s.persistent_volume_claims, s.persistent_volumes, s.storage_classes, s.csi_nodes) {}

  absl::Status Run() {
    for (const auto& nc : plan_.node_claims) {
      PlacedOn on =
          Placed(StrCat("nodeclaim ", nc.name, " (nodepool ", nc.node_pool, ")"), nc.pods);
      if (absl::Status s = CheckResolvable(on); !s.ok()) return s;
      const api::StringMap labels = Normalize(nc.labels);
      auto holds = [&](const std::vector<api::NodeSelectorRequirement>& term) {
        return SatisfiesAll(labels, term, /*planned=*/true);
      };
      if (absl::Status s = CheckZones(on, holds); !s.ok()) return s;
      auto type = types_.find(nc.launch.instance_type);
      if (type == types_.end()) continue;  // reported by the NodeClaim checks
      const InstanceType& launched = *type->second;
      auto limit = [&](std::string_view driver) { return launched.VolumeLimit(driver); };
      DriverVolumes attached;
      if (absl::Status s =
              CheckAttachLimits(on, limit, StrCat("instance type ", launched.name), attached);
          !s.ok()) {
        return s;
      }
      // The provider may launch any option: each must take the NodeClaim's volumes.
      for (const auto& o : nc.instance_type_options) {
        auto ot = types_.find(o);
        if (ot == types_.end()) continue;
        for (const auto& [driver, ids] : attached) {
          std::optional<int> l = ot->second->VolumeLimit(driver);
          if (l && static_cast<int>(ids.size()) > *l) {
            return Fail(StrCat(on.where, ": option ", o, " attaches at most ", *l, " ", driver,
                               " volumes, its pods use ", ids.size()));
          }
        }
      }
    }
    for (const auto& e : plan_.existing_nodes) {
      PlacedOn on = Placed(
          StrCat(e.is_node_claim ? "in-flight nodeclaim " : "existing node ", e.name), e.pods);
      if (absl::Status s = CheckResolvable(on); !s.ok()) return s;
      absl::Status s = e.is_node_claim ? CheckInflight(e.name, on) : CheckExistingNode(e.name, on);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  using DriverVolumes = scheduling::DriverVolumes;

  PlacedOn Placed(std::string where, const std::vector<std::string>& keys) const {
    PlacedOn on{.where = std::move(where), .pods = {}};
    for (const auto& key : keys) {
      if (auto it = pending_.find(key); it != pending_.end()) on.pods.emplace_back(key, it->second);
    }
    return on;
  }

  // A pod whose claims cannot be resolved is ignored (Karpenter: "ignoring pod, <err>"; Solve
  // reports it unschedulable): it must not be placed anywhere.
  absl::Status CheckResolvable(const PlacedOn& on) const {
    for (const auto& [key, pod] : on.pods) {
      if (!scheduling::VolumeIndex::HasClaims(*pod)) continue;
      absl::Status s = index_.ValidatePod(*pod);
      if (s.ok()) s = index_.PodVolumes(*pod).status();
      if (!s.ok()) {
        return Fail(StrCat(on.where, ": pod ", key,
                           " is placed although its volume claims cannot be resolved (such a pod "
                           "is ignored): ",
                           s.message()));
      }
    }
    return absl::OkStatus();
  }

  // Volume topology of every pod on the node; `holds` tells whether one selector term (ANDed
  // expressions) holds on the node.
  template <typename Holds>
  absl::Status CheckZones(const PlacedOn& on, const Holds& holds) const {
    for (const auto& [key, pod] : on.pods) {
      if (absl::Status s = PodZones(*pod, holds); !s.ok()) {
        return Fail(StrCat(on.where, ": pod ", key, ": ", s.message()));
      }
    }
    return absl::OkStatus();
  }

  template <typename Holds>
  absl::Status PodZones(const api::Pod& pod, const Holds& holds) const {
    const std::string ns(pod.metadata.NamespaceOrDefault());
    for (const auto& v : pod.spec.volumes) {
      // The claim as Kubernetes names it; a generic ephemeral volume's claim not created yet is
      // described by its template.
      std::string claim_name;
      if (v.pvc_claim_name) {
        claim_name = *v.pvc_claim_name;
      } else if (v.ephemeral) {
        claim_name = StrCat(pod.metadata.name, "-", v.name);
      } else {
        continue;
      }
      const api::PersistentVolumeClaim* claim = index_.FindClaim(ns, claim_name);
      const api::PersistentVolumeClaimSpec* spec =
          claim != nullptr ? &claim->spec : (v.ephemeral ? &*v.ephemeral : nullptr);
      if (spec == nullptr) continue;  // unresolvable: CheckResolvable
      const std::string what = StrCat("volume ", v.name, " (claim ", ns, "/", claim_name);
      std::vector<std::vector<api::NodeSelectorRequirement>> terms;
      std::string source;
      if (!spec->volume_name.empty()) {
        const api::PersistentVolume* pv = index_.FindVolume(spec->volume_name);
        if (pv == nullptr || !pv->spec.node_affinity || pv->spec.node_affinity->empty()) continue;
        source = StrCat(what, ", persistentvolume ", pv->metadata.name, ") node affinity");
        for (const auto& t : *pv->spec.node_affinity) {
          std::vector<api::NodeSelectorRequirement> exprs;
          for (auto e : t.match_expressions) {
            e.key = std::string(api::NormalizeLabelKey(e.key));
            exprs.push_back(std::move(e));
          }
          terms.push_back(std::move(exprs));
        }
      } else {
        const api::StorageClass* sc = spec->storage_class_name
                                          ? index_.FindStorageClass(*spec->storage_class_name)
                                          : index_.DefaultStorageClass();
        if (sc == nullptr || sc->volume_binding_mode != "WaitForFirstConsumer" ||
            sc->allowed_topologies.empty()) {
          continue;
        }
        source = StrCat(what, ", storageclass ", sc->metadata.name, ") allowedTopologies");
        for (const auto& t : sc->allowed_topologies) {
          std::vector<api::NodeSelectorRequirement> exprs;
          for (const auto& e : t.match_label_expressions) {
            exprs.push_back({.key = std::string(api::NormalizeLabelKey(e.key)),
                             .operator_ = "In",
                             .values = e.values,
                             .min_values = std::nullopt});
          }
          terms.push_back(std::move(exprs));
        }
      }
      std::vector<std::string> errs;
      bool any = false;
      for (const auto& t : terms) {
        absl::Status s = holds(t);
        if (s.ok()) {
          any = true;
          break;
        }
        errs.emplace_back(s.message());
      }
      if (!any) return Fail(StrCat(source, " does not hold: ", StrJoin(errs, "; ")));
    }
    return absl::OkStatus();
  }

  // Adds the pods' CSI volumes to `attached` (what the node had before the plan) one pod at a
  // time; a pod that brings a new volume of a driver must leave that driver within its limit (as
  // kube-scheduler's NodeVolumeLimits filter: a pod whose volumes are all attached already is not
  // refused, even on a node over its limit).
  template <typename Limit>
  absl::Status CheckAttachLimits(const PlacedOn& on, const Limit& limit_of,
                                 std::string_view limit_source, DriverVolumes& attached) const {
    for (const auto& [key, pod] : on.pods) {
      if (!scheduling::VolumeIndex::HasClaims(*pod)) continue;
      auto vols = index_.PodVolumes(*pod);
      if (!vols.ok()) continue;  // unresolvable: CheckResolvable
      for (const auto& [driver, ids] : *vols) {
        auto& mine = attached[driver];
        const size_t before = mine.size();
        mine.insert(ids.begin(), ids.end());
        if (mine.size() == before) continue;
        std::optional<int> limit = limit_of(driver);
        if (limit && static_cast<int>(mine.size()) > *limit) {
          return Fail(StrCat(on.where, ": pod ", key, ": attach limit exceeded, ", mine.size(),
                             " unique ", driver, " volumes (", StrJoin(mine, ", "), ") > ", *limit,
                             " (", limit_source, ")"));
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckExistingNode(const std::string& name, const PlacedOn& on) const {
    const solver::ExistingNode* node = nullptr;
    for (const auto& n : snap_.nodes) {
      if (n.node.metadata.name == name) node = &n;
    }
    if (node == nullptr) return absl::OkStatus();  // reported by the existing-node checks
    api::StringMap labels = Normalize(node->node.metadata.labels);
    labels.emplace(std::string(api::kLabelHostname), name);
    auto holds = [&](const std::vector<api::NodeSelectorRequirement>& term) {
      return SatisfiesAll(labels, term);
    };
    if (absl::Status s = CheckZones(on, holds); !s.ok()) return s;
    // Volumes of the pods already there; a finished pod's volumes are detached.
    DriverVolumes attached;
    for (const auto& p : node->pods) {
      if (p.status.phase == "Succeeded" || p.status.phase == "Failed") continue;
      if (!scheduling::VolumeIndex::HasClaims(p)) continue;
      auto vols = index_.PodVolumes(p);
      if (!vols.ok()) continue;
      for (const auto& [driver, ids] : *vols) attached[driver].insert(ids.begin(), ids.end());
    }
    auto limit = [&](std::string_view driver) { return index_.NodeLimit(name, driver); };
    return CheckAttachLimits(on, limit, StrCat("CSINode ", name, " allocatable.count"), attached);
  }

  // An in-flight NodeClaim's labels are its requirements. It has no CSINode yet and Solve (like
  // Karpenter) knows no attach limit for it, so none is checked.
  absl::Status CheckInflight(const std::string& name, const PlacedOn& on) const {
    const api::NodeClaim* nc = nullptr;
    for (const auto& c : snap_.node_claims) {
      if (c.metadata.name == name) nc = &c;
    }
    if (nc == nullptr) return absl::OkStatus();  // reported by the in-flight checks
    auto claim_reqs = scheduling::Requirements::FromSelector(nc->spec.requirements);
    if (!claim_reqs.ok()) return absl::OkStatus();
    claim_reqs->Add(scheduling::Requirements::FromLabels(nc->metadata.labels));
    auto holds = [&](const std::vector<api::NodeSelectorRequirement>& term) -> absl::Status {
      auto t = scheduling::Requirements::FromSelector(term);
      if (!t.ok()) return t.status();
      return claim_reqs->Intersects(*t);
    };
    return CheckZones(on, holds);
  }

  const solver::Snapshot& snap_;
  const solver::Plan& plan_;
  const std::map<std::string, const api::Pod*, std::less<>>& pending_;
  const std::map<std::string, const InstanceType*, std::less<>>& types_;
  const scheduling::VolumeIndex index_;
};

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
    if (absl::Status s = VolumeChecker(snap_, plan_, pods_, types_).Run(); !s.ok()) return s;
    return TopologyChecker(snap_, plan_, pods_).Run();
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
