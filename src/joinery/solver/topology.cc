#include "joinery/solver/topology.h"

#include <algorithm>
#include <limits>

#include "absl/container/inlined_vector.h"
#include "joinery/api/labels.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "joinery/scheduling/taints.h"

namespace joinery::solver::internal {
namespace {

using scheduling::Requirement;
using scheduling::Requirements;

std::string_view TypeName(TopologyType t) {
  switch (t) {
    case TopologyType::kSpread:
      return "topology spread";
    case TopologyType::kAffinity:
      return "pod affinity";
    case TopologyType::kAntiAffinity:
      return "pod anti-affinity";
  }
  return "";
}

std::string Canonical(const std::optional<api::LabelSelector>& s) {
  if (!s) return "nil";
  std::string out = "{";
  for (const auto& [k, v] : s->match_labels) out += StrCat(k, "=", v, ",");
  out += "|";
  for (const auto& e : s->match_expressions) {
    out += StrCat(e.key, " ", e.operator_, " [", StrJoin(e.values, ","), "];");
  }
  return out + "}";
}

// The owner's required node requirements: nodeSelector ∧ (one of the required affinity terms).
std::vector<Requirements> NodeAffinityTerms(const api::PodSpec& spec) {
  Requirements base = Requirements::FromLabels(spec.node_selector);
  std::vector<Requirements> out;
  const auto& aff = spec.affinity;
  if (aff && aff->node_affinity && aff->node_affinity->required &&
      !aff->node_affinity->required->empty()) {
    for (const auto& term : *aff->node_affinity->required) {
      auto t = Requirements::FromSelector(term.match_expressions);
      if (!t.ok()) continue;
      Requirements r = base;
      r.Add(*t);
      out.push_back(std::move(r));
    }
  }
  if (out.empty()) out.push_back(std::move(base));
  return out;
}

std::string TermsIdentity(const std::vector<Requirements>& terms) {
  std::vector<std::string> parts;
  for (const auto& t : terms) parts.push_back(t.ToString());
  return StrJoin(parts, " || ");
}

std::string TolerationsIdentity(const std::vector<api::Toleration>& tols) {
  std::vector<std::string> parts;
  for (const auto& t : tols) {
    parts.push_back(StrCat(t.key, "|", t.operator_, "|", t.value, "|", t.effect));
  }
  std::sort(parts.begin(), parts.end());
  return StrJoin(parts, ";");
}

// Pod affinity namespaces: the listed ones; an empty namespaceSelector means every namespace;
// otherwise the owner's namespace. (Namespace labels are not part of the snapshot, so a
// non-empty namespaceSelector adds nothing beyond the listed namespaces.)
std::vector<std::string> TermNamespaces(const api::PodAffinityTerm& term, const api::Pod& owner) {
  if (term.namespace_selector && term.namespace_selector->match_labels.empty() &&
      term.namespace_selector->match_expressions.empty()) {
    return {};
  }
  std::vector<std::string> ns = term.namespaces;
  if (ns.empty()) ns.push_back(owner.metadata.namespace_);
  std::sort(ns.begin(), ns.end());
  ns.erase(std::unique(ns.begin(), ns.end()), ns.end());
  return ns;
}

// matchLabelKeys / mismatchLabelKeys fold the owner's own label values into the selector.
std::optional<api::LabelSelector> WithLabelKeys(std::optional<api::LabelSelector> sel,
                                                const std::vector<std::string>& match_keys,
                                                const std::vector<std::string>& mismatch_keys,
                                                const api::Pod& owner) {
  if (!sel) return sel;
  const auto& labels = owner.metadata.labels;
  for (const auto& k : match_keys) {
    auto it = labels.find(k);
    if (it != labels.end()) sel->match_expressions.push_back({k, "In", {it->second}});
  }
  for (const auto& k : mismatch_keys) {
    auto it = labels.find(k);
    if (it != labels.end()) sel->match_expressions.push_back({k, "NotIn", {it->second}});
  }
  return sel;
}

}  // namespace

int Topology::KeyIndex(std::string_view key) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].key == key) return static_cast<int>(i);
  }
  keys_.push_back({});
  keys_.back().key = std::string(key);
  return static_cast<int>(keys_.size() - 1);
}

int Topology::Intern(Group g, std::string identity) {
  auto it = by_identity_.find(identity);
  if (it != by_identity_.end()) return it->second;
  int id = static_cast<int>(groups_.size());
  if (g.key != api::kLabelHostname) {
    g.key_index = KeyIndex(g.key);
  } else if (!g.inverse && g.type == TopologyType::kAntiAffinity) {
    g.limit = 1;
  } else if (g.type == TopologyType::kSpread) {
    g.limit = g.max_skew;  // a self-selecting owner needs count + 1 <= maxSkew
  }
  if (!g.selector.match_labels.empty()) {
    const auto& [k, v] = *g.selector.match_labels.begin();
    by_label_[StrCat(k, "=", v)].push_back(id);
  } else {
    unindexed_.push_back(id);
  }
  groups_.push_back(std::move(g));
  by_identity_.emplace(std::move(identity), id);
  return id;
}

PodTopology Topology::AddPodTerms(const api::Pod& pod, bool respect_preferences) {
  PodTopology pt;
  const api::PodSpec& spec = pod.spec;
  for (const auto& c : spec.topology_spread_constraints) {
    bool anyway = c.when_unsatisfiable == "ScheduleAnyway";
    if (anyway && !respect_preferences) continue;
    auto sel = WithLabelKeys(c.label_selector, c.match_label_keys, {}, pod);
    if (!sel) continue;  // a nil selector selects no pods: the constraint is always met
    Group g;
    g.type = TopologyType::kSpread;
    g.key = c.topology_key;
    g.namespaces = {pod.metadata.namespace_};
    g.selector = *sel;
    g.max_skew = std::max(1, c.max_skew);
    g.min_domains = c.min_domains;
    g.honor_affinity = c.node_affinity_policy != "Ignore";
    g.honor_taints = c.node_taints_policy == "Honor";
    if (g.honor_affinity) g.affinity_terms = NodeAffinityTerms(spec);
    if (g.honor_taints) g.tolerations = spec.tolerations;
    std::string identity =
        StrCat("spread|", g.key, "|", g.namespaces.front(), "|", Canonical(sel), "|", g.max_skew,
               "|", g.min_domains ? StrCat(*g.min_domains) : "-", "|",
               g.honor_affinity ? TermsIdentity(g.affinity_terms) : "ignore", "|",
               g.honor_taints ? TolerationsIdentity(g.tolerations) : "ignore");
    int id = Intern(std::move(g), std::move(identity));
    (anyway ? pt.schedule_anyway : pt.required).push_back(id);
  }
  auto add_term = [&](TopologyType type, const api::PodAffinityTerm& term, bool inverse) {
    return InternTerm(type, term, pod, inverse);
  };
  // Preferred terms, heaviest first.
  auto add_preferred = [&](TopologyType type, std::vector<api::WeightedPodAffinityTerm> pref,
                           std::vector<int>& out) {
    std::stable_sort(pref.begin(), pref.end(),
                     [](const auto& a, const auto& b) { return a.weight > b.weight; });
    for (const auto& w : pref) {
      if (int id = add_term(type, w.pod_affinity_term, false); id >= 0) out.push_back(id);
    }
  };
  const auto& aff = spec.affinity;
  if (aff && aff->pod_affinity) {
    for (const auto& t : aff->pod_affinity->required) {
      if (int id = add_term(TopologyType::kAffinity, t, false); id >= 0) pt.required.push_back(id);
    }
    if (respect_preferences) {
      add_preferred(TopologyType::kAffinity, aff->pod_affinity->preferred, pt.preferred_affinity);
    }
  }
  if (aff && aff->pod_anti_affinity) {
    for (const auto& t : aff->pod_anti_affinity->required) {
      if (int id = add_term(TopologyType::kAntiAffinity, t, false); id >= 0)
        pt.required.push_back(id);
      if (int id = add_term(TopologyType::kAntiAffinity, t, true); id >= 0)
        pt.inverse_owned.push_back(id);
    }
    if (respect_preferences) {
      add_preferred(TopologyType::kAntiAffinity, aff->pod_anti_affinity->preferred,
                    pt.preferred_anti);
    }
  }
  return pt;
}

int Topology::InternTerm(TopologyType type, const api::PodAffinityTerm& term,
                         const api::Pod& owner, bool inverse) {
  auto sel = WithLabelKeys(term.label_selector, term.match_label_keys, term.mismatch_label_keys,
                           owner);
  if (!sel) return -1;  // selects nothing
  Group g;
  g.type = type;
  g.inverse = inverse;
  g.key = term.topology_key;
  g.namespaces = TermNamespaces(term, owner);
  g.selector = *sel;
  // Owners of the same term share one group (an inverse group only needs to know where any owner
  // runs, running or pending).
  std::string identity = StrCat(inverse ? "inverse|" : "", TypeName(type), "|", g.key, "|",
                                StrJoin(g.namespaces, ","), "|", Canonical(sel));
  return Intern(std::move(g), std::move(identity));
}

std::vector<int> Topology::AddExistingPodTerms(const api::Pod& pod) {
  std::vector<int> owned;
  const auto& aff = pod.spec.affinity;
  if (!aff || !aff->pod_anti_affinity) return owned;
  for (const auto& term : aff->pod_anti_affinity->required) {
    if (int id = InternTerm(TopologyType::kAntiAffinity, term, pod, true); id >= 0)
      owned.push_back(id);
  }
  return owned;
}

bool Topology::UsesKey(std::string_view key) const {
  return std::any_of(groups_.begin(), groups_.end(),
                     [&](const Group& g) { return g.key == key; });
}

std::vector<std::string> Topology::Keys() const {
  std::vector<std::string> out;
  for (const auto& k : keys_) out.push_back(k.key);
  return out;
}

void Topology::AddDomain(std::string_view key, std::string_view value,
                         const std::vector<api::Taint>* taints,
                         const scheduling::Requirements* node_labels) {
  if (key == api::kLabelHostname || value.empty()) return;
  int ki = -1;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].key == key) ki = static_cast<int>(i);
  }
  if (ki < 0) return;  // no group uses the key
  KeyDomains& kd = keys_[ki];
  auto [it, inserted] = kd.index.emplace(std::string(value), static_cast<int>(kd.values.size()));
  if (inserted) {
    kd.values.emplace_back(value);
    kd.providers.emplace_back();
  }
  auto& prov = kd.providers[it->second];
  if (node_labels == nullptr) {
    for (const auto& p : prov) {
      if (p.node == nullptr && p.taints == taints) return;
    }
    prov.push_back({taints, nullptr});
    return;
  }
  provider_nodes_.push_back(*node_labels);
  prov.push_back({taints, &provider_nodes_.back()});
}

void Topology::OpenSlot(int slot) {
  for (Group& g : groups_) {
    if (g.limit > 0 && Count(g, slot) < g.limit) g.open_slots.push_back(slot);
  }
}

const std::vector<int>* Topology::CandidateSlots(const PodTopology& pt,
                                                 const ActiveTerms& active) const {
  if (!pt.any_hostname) return nullptr;
  const Group* best = nullptr;
  ForEachActive(pt, active, [&](int id) {
    const Group& g = groups_[id];
    if (g.limit == 0 || g.inverse) return true;
    if (g.type == TopologyType::kSpread && !SelfSelecting(pt, id)) return true;
    auto& open = g.open_slots;
    open.erase(std::remove_if(open.begin(), open.end(),
                              [&](int slot) { return Count(g, slot) >= g.limit; }),
               open.end());
    if (best == nullptr || open.size() < best->open_slots.size()) best = &g;
    return true;
  });
  return best == nullptr ? nullptr : &best->open_slots;
}

void Topology::NameSlot(int slot, std::string name) {
  if (slot >= static_cast<int>(slot_names_.size())) slot_names_.resize(slot + 1);
  slot_names_[slot] = std::move(name);
}

bool Topology::Selects(const Group& g, const api::Pod& pod) const {
  if (!g.namespaces.empty() &&
      !std::binary_search(g.namespaces.begin(), g.namespaces.end(), pod.metadata.namespace_)) {
    return false;
  }
  return scheduling::SelectorMatches(g.selector, pod.metadata.labels);
}

void Topology::Link(const api::Pod& pod, PodTopology& pt) const {
  if (groups_.empty()) return;
  auto hostname = [&](const std::vector<int>& ids) {
    return std::any_of(ids.begin(), ids.end(), [&](int id) { return groups_[id].key_index < 0; });
  };
  std::vector<int> candidates = unindexed_;
  for (const auto& [k, v] : pod.metadata.labels) {
    auto it = by_label_.find(StrCat(k, "=", v));
    if (it != by_label_.end()) candidates.insert(candidates.end(), it->second.begin(), it->second.end());
  }
  std::sort(candidates.begin(), candidates.end());
  for (int id : candidates) {
    const Group& g = groups_[id];
    if (!Selects(g, pod)) continue;
    (g.inverse ? pt.inverse_blocking : pt.counts_toward).push_back(id);
  }
  pt.any_hostname = hostname(pt.required) || hostname(pt.preferred_affinity) ||
                    hostname(pt.preferred_anti) || hostname(pt.schedule_anyway) ||
                    hostname(pt.inverse_blocking);
}

template <typename F>
bool Topology::ForEachActive(const PodTopology& pt, const ActiveTerms& active, F&& f) {
  for (int id : pt.required) {
    if (!f(id)) return false;
  }
  for (size_t i = active.affinity_dropped; i < pt.preferred_affinity.size(); ++i) {
    if (!f(pt.preferred_affinity[i])) return false;
  }
  for (size_t i = active.anti_dropped; i < pt.preferred_anti.size(); ++i) {
    if (!f(pt.preferred_anti[i])) return false;
  }
  for (size_t i = active.anyway_dropped; i < pt.schedule_anyway.size(); ++i) {
    if (!f(pt.schedule_anyway[i])) return false;
  }
  for (int id : pt.inverse_blocking) {
    if (!f(id)) return false;
  }
  return true;
}

bool Topology::SelfSelecting(const PodTopology& pt, int id) const {
  return std::binary_search(pt.counts_toward.begin(), pt.counts_toward.end(), id);
}

bool Topology::HostnameAllows(const PodTopology& pt, const ActiveTerms& active, int slot) const {
  if (!pt.any_hostname) return true;
  return ForEachActive(pt, active, [&](int id) {
    const Group& g = groups_[id];
    return g.key_index >= 0 || HostnameGroupAllows(g, SelfSelecting(pt, id), slot);
  });
}

Topology::KeyFilter Topology::Prefilter(const PodTopology& pt, const ActiveTerms& active,
                                        const scheduling::Requirements& pod_reqs) const {
  KeyFilter out;
  ForEachActive(pt, active, [&](int id) {
    const Group& g = groups_[id];
    if (g.key_index < 0 || keys_[g.key_index].values.size() > 64) return true;
    const uint64_t m = AllowedMask(g, SelfSelecting(pt, id), pod_reqs.Find(g.key), nullptr);
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const auto& e) { return e.first == g.key_index; });
    if (it == out.end()) {
      out.emplace_back(g.key_index, m);
    } else {
      it->second &= m;
    }
    return true;
  });
  return out;
}

bool Topology::Infeasible(const KeyFilter& filter) {
  return std::any_of(filter.begin(), filter.end(), [](const auto& e) { return e.second == 0; });
}

uint64_t Topology::AllowedMask(const Group& g, bool self, const Requirement* pod_domains,
                               bool* bootstrap) const {
  const KeyDomains& kd = keys_[g.key_index];
  const int n = static_cast<int>(kd.values.size());
  auto pod_allows = [&](int d) { return pod_domains == nullptr || pod_domains->Has(kd.values[d]); };
  uint64_t m = 0;
  switch (g.type) {
    case TopologyType::kSpread: {
      const int64_t min = SpreadMin(g, pod_domains);
      for (int d = 0; d < n; ++d) {
        if (Count(g, d) + (self ? 1 : 0) - min <= g.max_skew) m |= uint64_t{1} << d;
      }
      break;
    }
    case TopologyType::kAffinity:
      for (int d = 0; d < n; ++d) {
        if (Count(g, d) > 0 && pod_allows(d)) m |= uint64_t{1} << d;
      }
      if (m == 0 && self) {  // bootstrap: the first matching pod may pick any domain it allows
        if (bootstrap != nullptr) *bootstrap = true;
        for (int d = 0; d < n; ++d) {
          if (pod_allows(d)) m |= uint64_t{1} << d;
        }
      }
      break;
    case TopologyType::kAntiAffinity:
      for (int d = 0; d < n; ++d) {
        if (Count(g, d) == 0 && pod_allows(d)) m |= uint64_t{1} << d;
      }
      break;
  }
  return m;
}

bool Topology::HostnameGroupAllows(const Group& g, bool self, int slot) const {
  const int32_t c = Count(g, slot);
  switch (g.type) {
    case TopologyType::kSpread:
      return c + (self ? 1 : 0) <= g.max_skew;  // the global minimum is zero
    case TopologyType::kAffinity:
      return c > 0 || (g.nonzero == 0 && self);
    case TopologyType::kAntiAffinity:
      return c == 0;
  }
  return true;
}

bool Topology::NodeFilterMatches(const Group& g, const NodeView& node) const {
  if (g.type != TopologyType::kSpread) return true;
  if (g.honor_affinity) {
    bool any = std::any_of(g.affinity_terms.begin(), g.affinity_terms.end(),
                           [&](const Requirements& t) { return node.reqs->Intersects(t).ok(); });
    if (!any) return false;
  }
  if (g.honor_taints && node.taints != nullptr &&
      !scheduling::CheckTaints(*node.taints, g.tolerations).ok()) {
    return false;
  }
  return true;
}

bool Topology::DomainEligible(const Group& g, int domain) const {
  const bool affinity = g.type == TopologyType::kSpread && g.honor_affinity;
  if (!g.honor_taints && !affinity) return true;
  for (const auto& p : keys_[g.key_index].providers[domain]) {
    if (g.honor_taints && p.taints != nullptr &&
        !scheduling::CheckTaints(*p.taints, g.tolerations).ok()) {
      continue;
    }
    if (affinity && p.node != nullptr &&
        !std::any_of(g.affinity_terms.begin(), g.affinity_terms.end(),
                     [&](const Requirements& t) { return p.node->Compatible(t, {}).ok(); })) {
      continue;
    }
    return true;
  }
  return false;
}

// A spread's global minimum over the domains the pod may use (`pod_domains` null: all of them);
// zero when fewer than minDomains exist. Keyed groups only (hostname's minimum is always zero).
int64_t Topology::SpreadMin(const Group& g, const Requirement* pod_domains) const {
  const KeyDomains& kd = keys_[g.key_index];
  int64_t min = std::numeric_limits<int32_t>::max();
  int32_t supported = 0;
  for (int d = 0; d < static_cast<int>(kd.values.size()); ++d) {
    if (g.honor_affinity && pod_domains != nullptr && !pod_domains->Has(kd.values[d])) continue;
    if (!DomainEligible(g, d)) continue;
    ++supported;
    min = std::min<int64_t>(min, Count(g, d));
  }
  if (g.min_domains && supported < *g.min_domains) min = 0;
  return min;
}

int32_t Topology::Count(const Group& g, int domain) const {
  return domain >= 0 && domain < static_cast<int>(g.counts.size()) ? g.counts[domain] : 0;
}

void Topology::Bump(Group& g, int domain) {
  if (domain < 0) return;
  if (domain >= static_cast<int>(g.counts.size())) g.counts.resize(domain + 1, 0);
  if (g.counts[domain]++ == 0) ++g.nonzero;
}

std::vector<int> Topology::NodeDomains(const Group& g, const NodeView& node) const {
  if (g.key_index < 0) return {node.slot};
  const KeyDomains& kd = keys_[g.key_index];
  const Requirement* r = node.reqs->Find(g.key);
  std::vector<int> out;
  if (r != nullptr && !r->complement()) {
    for (const auto& v : r->values()) {
      auto it = kd.index.find(v);
      if (it != kd.index.end()) out.push_back(it->second);
    }
    return out;
  }
  for (int d = 0; d < static_cast<int>(kd.values.size()); ++d) {
    if (r == nullptr || r->Has(kd.values[d])) out.push_back(d);
  }
  return out;
}

std::string Topology::DomainName(const Group& g, int domain) const {
  if (g.key_index < 0) {
    return domain < static_cast<int>(slot_names_.size()) ? slot_names_[domain] : "";
  }
  return keys_[g.key_index].values[domain];
}

std::string Topology::Error(const Group& g, const Requirement& pod_domains,
                            const NodeView& node) const {
  std::vector<std::string> counts;
  int n = g.key_index < 0 ? static_cast<int>(g.counts.size())
                          : static_cast<int>(keys_[g.key_index].values.size());
  for (int d = 0; d < n && counts.size() < 25; ++d) {
    if (g.key_index < 0 && Count(g, d) == 0) continue;  // hostnames: only occupied ones
    counts.push_back(StrCat(DomainName(g, d), ":", Count(g, d)));
  }
  std::string node_domains = node.reqs->Get(g.key).ToString();
  return StrCat("unsatisfiable topology constraint for ", TypeName(g.type), ", key=", g.key,
                " (counts = {", StrJoin(counts, ", "), "}, podDomains = ", pod_domains.ToString(),
                ", nodeDomains = ", node_domains, ")");
}

// nullopt with OK: no constraint beyond what the node already has (hostname groups, whose
// domain the node fixes). A DoesNotExist requirement means no domain is allowed.
absl::StatusOr<Requirement> Topology::Next(const Group& g, bool self,
                                           const Requirements& pod_reqs,
                                           const NodeView& node) const {
  if (g.key_index < 0) {
    if (HostnameGroupAllows(g, self, node.slot)) return Requirement::Exists(g.key);
    return Requirement::DoesNotExist(g.key);
  }
  const Requirement pod_domains = pod_reqs.Get(g.key);
  const KeyDomains& kd = keys_[g.key_index];
  const int n = static_cast<int>(kd.values.size());
  switch (g.type) {
    case TopologyType::kSpread: {
      const int64_t min = SpreadMin(g, pod_reqs.Find(g.key));
      int best = -1;
      int64_t best_count = 0;
      for (int d : NodeDomains(g, node)) {
        int64_t c = Count(g, d) + (self ? 1 : 0);
        if (c - min > g.max_skew) continue;
        if (best < 0 || c < best_count || (c == best_count && kd.values[d] < kd.values[best])) {
          best = d;
          best_count = c;
        }
      }
      if (best < 0) return Requirement::DoesNotExist(g.key);
      return Requirement::In(g.key, {kd.values[best]});
    }
    case TopologyType::kAffinity: {
      std::vector<std::string> options;
      for (int d = 0; d < n; ++d) {
        if (Count(g, d) > 0 && pod_domains.Has(kd.values[d])) options.push_back(kd.values[d]);
      }
      if (options.empty() && self) {
        // Bootstrap: the first matching pod picks a domain, preferably one the node is in.
        const std::string* pick = nullptr;
        for (int d : NodeDomains(g, node)) {
          if (pod_domains.Has(kd.values[d]) && (pick == nullptr || kd.values[d] < *pick))
            pick = &kd.values[d];
        }
        for (int d = 0; d < n && pick == nullptr; ++d) {
          if (pod_domains.Has(kd.values[d])) pick = &kd.values[d];
        }
        if (pick != nullptr) options.push_back(*pick);
      }
      if (options.empty()) return Requirement::DoesNotExist(g.key);
      return Requirement::In(g.key, std::move(options));
    }
    case TopologyType::kAntiAffinity: {
      std::vector<std::string> options;
      for (int d : NodeDomains(g, node)) {
        if (Count(g, d) == 0 && pod_domains.Has(kd.values[d])) options.push_back(kd.values[d]);
      }
      if (options.empty()) return Requirement::DoesNotExist(g.key);
      return Requirement::In(g.key, std::move(options));
    }
  }
  return Requirement::DoesNotExist(g.key);
}

absl::StatusOr<Requirements> Topology::DomainRequirements(const PodTopology& pt,
                                                          const ActiveTerms& active,
                                                          const scheduling::Requirements& pod_reqs,
                                                          const NodeView& node,
                                                          bool explain) const {
  scheduling::Requirements out;
  // Keyed groups with at most 64 domains run on bitmasks (no allocation on a rejection); the
  // resulting requirements are built once at the end.
  struct KeyMaskState {
    int key_index;
    uint64_t allowed;
    uint64_t node;
  };
  absl::InlinedVector<KeyMaskState, 4> masks;
  auto apply = [&](int id) -> absl::Status {
    const Group& g = groups_[id];
    if (g.key_index >= 0 && keys_[g.key_index].values.size() <= 64) {
      uint64_t m = NextMask(g, pt, id, pod_reqs, node);
      auto it = std::find_if(masks.begin(), masks.end(),
                             [&](const auto& e) { return e.key_index == g.key_index; });
      if (it == masks.end()) {
        masks.push_back({g.key_index, m, NodeMask(g, node)});
        it = masks.end() - 1;
      } else {
        it->allowed &= m;
      }
      if (it->allowed != 0) return absl::OkStatus();
      if (!explain) return absl::Status(absl::StatusCode::kInvalidArgument, "");
      return absl::InvalidArgumentError(Error(g, pod_reqs.Get(g.key), node));
    }
    auto r = Next(g, SelfSelecting(pt, id), pod_reqs, node);
    if (!r.ok()) return r.status();
    if (!explain && r->IsDoesNotExist()) {
      return absl::Status(absl::StatusCode::kInvalidArgument, "");
    }
    if (g.key_index < 0) {  // hostname: the node's own domain, nothing to add
      if (!r->IsDoesNotExist()) return absl::OkStatus();
      return absl::InvalidArgumentError(Error(g, pod_reqs.Get(g.key), node));
    }
    Requirement merged = node.reqs->Get(g.key).Intersection(*r);
    if (const Requirement* prev = out.Find(g.key)) merged = merged.Intersection(*prev);
    if (merged.IsDoesNotExist()) {
      if (!explain) return absl::Status(absl::StatusCode::kInvalidArgument, "");
      return absl::InvalidArgumentError(Error(g, pod_reqs.Get(g.key), node));
    }
    out.Add(*r);
    return absl::OkStatus();
  };
  for (int id : pt.required) RETURN_IF_ERROR(apply(id));
  for (size_t i = active.affinity_dropped; i < pt.preferred_affinity.size(); ++i)
    RETURN_IF_ERROR(apply(pt.preferred_affinity[i]));
  for (size_t i = active.anti_dropped; i < pt.preferred_anti.size(); ++i)
    RETURN_IF_ERROR(apply(pt.preferred_anti[i]));
  for (size_t i = active.anyway_dropped; i < pt.schedule_anyway.size(); ++i)
    RETURN_IF_ERROR(apply(pt.schedule_anyway[i]));
  for (int id : pt.inverse_blocking) RETURN_IF_ERROR(apply(id));
  for (const auto& [ki, m, node_mask] : masks) {
    if ((node_mask & ~m) == 0) continue;  // the node's domains are all allowed: nothing narrows
    const KeyDomains& kd = keys_[ki];
    std::vector<std::string> values;
    for (size_t d = 0; d < kd.values.size(); ++d) {
      if (m >> d & 1) values.push_back(kd.values[d]);
    }
    Requirement r = Requirement::In(kd.key, std::move(values));
    if (const Requirement* prev = out.Find(kd.key)) {
      if (prev->Intersection(r).IsDoesNotExist()) {
        return absl::InvalidArgumentError(
            StrCat("unsatisfiable topology constraint, key=", kd.key, " (", prev->ToString(),
                   " conflicts with ", r.ToString(), ")"));
      }
    }
    out.Add(r);
  }
  return out;
}

std::vector<uint64_t> Topology::KeyMasks(const scheduling::Requirements& reqs) const {
  std::vector<uint64_t> out(keys_.size(), ~uint64_t{0});
  NodeView view{-1, &reqs, nullptr, nullptr};
  for (size_t k = 0; k < keys_.size(); ++k) {
    if (keys_[k].values.size() <= 64) out[k] = KeyMask(static_cast<int>(k), view);
  }
  return out;
}

uint64_t Topology::NodeMask(const Group& g, const NodeView& node) const {
  if (node.key_masks != nullptr && g.key_index < static_cast<int>(node.key_masks->size())) {
    return (*node.key_masks)[g.key_index];
  }
  return KeyMask(g.key_index, node);
}

uint64_t Topology::KeyMask(int key_index, const NodeView& node) const {
  const KeyDomains& kd = keys_[key_index];
  const Requirement* r = node.reqs->Find(kd.key);
  uint64_t m = 0;
  if (r != nullptr && !r->complement()) {
    for (const auto& v : r->values()) {
      auto it = kd.index.find(v);
      if (it != kd.index.end()) m |= uint64_t{1} << it->second;
    }
    return m;
  }
  for (size_t d = 0; d < kd.values.size(); ++d) {
    if (r == nullptr || r->Has(kd.values[d])) m |= uint64_t{1} << d;
  }
  return m;
}

// The domains the group allows on `node` (already intersected with the node's own), as a bitmask;
// the same decisions as Next().
uint64_t Topology::NextMask(const Group& g, const PodTopology& pt, int id,
                            const scheduling::Requirements& pod_reqs,
                            const NodeView& node) const {
  const KeyDomains& kd = keys_[g.key_index];
  bool bootstrap = false;
  const uint64_t allowed =
      AllowedMask(g, SelfSelecting(pt, id), pod_reqs.Find(g.key), &bootstrap) & NodeMask(g, node);
  // A spread narrows to the least loaded allowed domain; an affinity bootstrap to one domain
  // (the node's, as the node mask already applies); ties by name.
  const bool pick_one = g.type == TopologyType::kSpread || bootstrap;
  if (!pick_one || allowed == 0) return allowed;
  int best = -1;
  for (int d = 0; d < static_cast<int>(kd.values.size()); ++d) {
    if (!(allowed >> d & 1)) continue;
    if (best < 0 || Count(g, d) < Count(g, best) ||
        (Count(g, d) == Count(g, best) && kd.values[d] < kd.values[best])) {
      best = d;
    }
  }
  return uint64_t{1} << best;
}

void Topology::Record(const PodTopology& pt, const NodeView& node) {
  for (int id : pt.counts_toward) {
    Group& g = groups_[id];
    if (!NodeFilterMatches(g, node)) continue;
    std::vector<int> domains = NodeDomains(g, node);
    if (g.type == TopologyType::kAntiAffinity) {
      for (int d : domains) Bump(g, d);  // pessimistic: every domain the node may land in
    } else if (domains.size() == 1) {
      Bump(g, domains.front());  // only once the domain is known
    }
  }
  for (int id : pt.inverse_owned) {
    Group& g = groups_[id];
    for (int d : NodeDomains(g, node)) Bump(g, d);
  }
}

void Topology::RecordExisting(const api::Pod& pod, const std::vector<int>& inverse_owned,
                              const NodeView& node) {
  PodTopology pt;
  Link(pod, pt);
  pt.inverse_owned = inverse_owned;
  Record(pt, node);
}

}  // namespace joinery::solver::internal
