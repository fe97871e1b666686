#include "joinery/solver/solver.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "joinery/api/labels.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "joinery/scheduling/host_ports.h"
#include "joinery/scheduling/requirements.h"
#include "joinery/scheduling/resources.h"
#include "joinery/scheduling/taints.h"
#include "joinery/scheduling/volumes.h"
#include "joinery/solver/topology.h"

namespace joinery::solver {
namespace internal {

// An available offering as bit positions in the zone and capacity-type tables.
struct OfferBits {
  uint8_t zone = 0;
  uint8_t capacity_type = 0;
  double price = 0;
  int index = 0;  // into InstanceType::offerings
};

// What the solver derives from one instance type alone (no snapshot involved).
struct TypeStatic {
  scheduling::Requirements reqs;  // labels, offering zones/capacity types, absent provider labels
  std::vector<OfferBits> offers;  // available offerings only
  int name_rank = 0;              // position of the name in sorted order
  bool exotic = false;            // GPU, Neuron, Gaudi or metal: launched only as a last resort
};

}  // namespace internal

class PreparedInstanceTypes {
 public:
  std::shared_ptr<const cloudprovider::InstanceTypes> source;
  std::vector<internal::TypeStatic> types;    // as in *source
  std::vector<std::string> zone_table, ct_table;  // bit positions of OfferBits
  bool masks_ok = true;                           // at most 64 zones and capacity types
  std::vector<int> by_name;                       // type indices in name order
  // Labels whose values the instance types resolve (a NodePool need not offer them): Karpenter's
  // well-known labels plus every key a type of this list carries, as a provider registers its
  // own labels (Karpenter's fake provider: size, special, integer). Views into static strings
  // or into label_keys.
  absl::flat_hash_set<std::string_view> well_known;
  std::set<std::string, std::less<>> label_keys;  // owns the keys well_known adds
};

std::shared_ptr<const PreparedInstanceTypes> PrepareInstanceTypes(
    std::shared_ptr<const cloudprovider::InstanceTypes> types) {
  using scheduling::Requirement;
  using scheduling::Requirements;
  auto out = std::make_shared<PreparedInstanceTypes>();
  out->source = types;
  if (types == nullptr) return out;
  std::vector<std::string_view> provider_keys;  // labels a type may lack (DoesNotExist on it)
  for (std::string_view k : api::WellKnownLabels()) {
    if (k.starts_with("karpenter.k8s.aws/instance-") && k != api::kLabelInstanceTenancy)
      provider_keys.push_back(k);
  }
  std::sort(provider_keys.begin(), provider_keys.end());
  auto bit = [&](std::vector<std::string>& table, const std::string& v) {
    auto it = std::find(table.begin(), table.end(), v);
    if (it == table.end()) {
      table.push_back(v);
      it = table.end() - 1;
    }
    return static_cast<size_t>(it - table.begin());
  };
  out->well_known = api::WellKnownLabels();
  out->types.reserve(types->size());
  for (const auto& it : *types) {
    internal::TypeStatic d;
    d.reqs = Requirements::FromLabels(it.labels);
    for (const auto& sel : it.requirements) {
      // Catalog loaders validate these; a requirement that does not parse constrains nothing.
      if (auto r = Requirement::Make(sel.key, sel.operator_, sel.values); r.ok()) d.reqs.Add(*r);
    }
    for (const auto& [k, r] : d.reqs.items()) {
      if (out->well_known.contains(k)) continue;
      out->well_known.insert(*out->label_keys.insert(k).first);
    }
    std::vector<std::string> zones, cts;
    for (const auto& o : it.offerings) {
      zones.push_back(o.zone);
      cts.push_back(o.capacity_type);
    }
    d.reqs.Add(Requirement::In(std::string(api::kLabelZone), zones));
    d.reqs.Add(Requirement::In(std::string(api::kLabelCapacityType), cts));
    // Provider labels a type does not have are "DoesNotExist" on it (e.g. GPU labels on CPU
    // types).
    for (std::string_view k : provider_keys) {
      if (!it.labels.contains(k)) d.reqs.Add(Requirement::DoesNotExist(std::string(k)));
    }
    for (size_t k = 0; k < it.offerings.size(); ++k) {
      const cloudprovider::Offering& o = it.offerings[k];
      if (!o.available) continue;
      size_t z = bit(out->zone_table, o.zone), c = bit(out->ct_table, o.capacity_type);
      if (z >= 64 || c >= 64) out->masks_ok = false;
      d.offers.push_back({static_cast<uint8_t>(std::min<size_t>(z, 63)),
                          static_cast<uint8_t>(std::min<size_t>(c, 63)), o.price,
                          static_cast<int>(k)});
    }
    for (std::string_view r : {api::kResourceNvidiaGPU, api::kResourceAMDGPU,
                               api::kResourceNeuron, std::string_view("habana.ai/gaudi")}) {
      auto c = it.capacity.find(r);
      if (c != it.capacity.end() && !c->second.IsZero()) d.exotic = true;
    }
    auto size = it.labels.find(api::kLabelInstanceSize);
    if (size != it.labels.end() && Contains(size->second, "metal")) d.exotic = true;
    out->types.push_back(std::move(d));
  }
  out->by_name.resize(types->size());
  std::iota(out->by_name.begin(), out->by_name.end(), 0);
  std::sort(out->by_name.begin(), out->by_name.end(),
            [&](int a, int b) { return (*types)[a].name < (*types)[b].name; });
  for (size_t r = 0; r < out->by_name.size(); ++r)
    out->types[out->by_name[r]].name_rank = static_cast<int>(r);
  return out;
}

namespace {

using cloudprovider::InstanceType;
using cloudprovider::Offering;
using scheduling::Requirement;
using scheduling::Requirements;
using Vec = std::vector<int64_t>;  // milli-units per interned resource

constexpr double kInf = std::numeric_limits<double>::infinity();

// For strict requirement checks against a node's labels: no label may be missing.
const absl::flat_hash_set<std::string_view> kNoUndefinedLabels;

std::string ToLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

api::Toleration PreferNoScheduleToleration() {
  api::Toleration t;
  t.operator_ = "Exists";
  t.effect = "PreferNoSchedule";
  return t;
}

std::string HostnamePlaceholder(int n) {
  std::string digits = StrCat(n);
  if (digits.size() < 4) digits.insert(0, 4 - digits.size(), '0');
  return StrCat("hostname-placeholder-", digits);
}

// Interns resource names so that hot-path arithmetic runs on dense vectors.
class ResourceIndex {
 public:
  int Intern(std::string_view name) {
    auto it = index_.find(name);
    if (it != index_.end()) return it->second;
    int i = static_cast<int>(names_.size());
    names_.emplace_back(name);
    index_.emplace(names_.back(), i);
    return i;
  }
  void InternAll(const ResourceList& r) {
    for (const auto& [k, q] : r) Intern(k);
  }
  int Find(std::string_view name) const {
    auto it = index_.find(name);
    return it == index_.end() ? -1 : it->second;
  }
  size_t size() const { return names_.size(); }
  // Every name must have been interned before the first Dense() call.
  Vec Dense(const ResourceList& r) const {
    Vec v(names_.size(), 0);
    for (const auto& [k, q] : r) {
      int i = Find(k);
      if (i >= 0) v[i] = q.milli();
    }
    return v;
  }
  ResourceList Sparse(const Vec& v) const {
    ResourceList out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == 0) continue;
      const std::string& n = names_[i];
      bool binary = n == api::kResourceMemory || n == api::kResourceEphemeralStorage ||
                    std::string_view(n).starts_with("hugepages-");
      out.emplace(n, Quantity::FromMilli(v[i], binary ? Quantity::Format::kBinarySI
                                                      : Quantity::Format::kDecimalSI));
    }
    return out;
  }
  // Karpenter prints resource lists as JSON objects in messages.
  std::string ToJson(const Vec& v) const {
    std::vector<std::string> parts;
    for (const auto& [k, q] : Sparse(v))
      parts.push_back(StrCat("\"", k, "\":\"", q.ToString(), "\""));
    return StrCat("{", StrJoin(parts, ","), "}");
  }

 private:
  std::vector<std::string> names_;
  std::map<std::string, int, std::less<>> index_;
};

// Saturating, so that hostile inputs (huge requests on many pods) clamp instead of overflowing.
void AddVec(Vec& a, const Vec& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] = SaturatingAdd(a[i], b[i]);
}
void SubVec(Vec& a, const Vec& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] = SaturatingSub(a[i], b[i]);
}
Vec Sum(const Vec& a, const Vec& b) {
  Vec out = a;
  AddVec(out, b);
  return out;
}
// requests ≤ available for every resource the requests ask for.
bool FitsVec(const Vec& requests, const Vec& available) {
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i] > 0 && requests[i] > available[i]) return false;
  }
  return true;
}

// a + b ≤ room for every resource the two ask for.
bool FitsSum(const Vec& a, const Vec& b, const Vec& room) {
  for (size_t i = 0; i < a.size(); ++i) {
    int64_t need = SaturatingAdd(a[i], b[i]);
    if (need > 0 && need > room[i]) return false;
  }
  return true;
}

// requests ≤ room for every resource the requests ask for, where room = allocatable − DaemonSet
// overhead; a negative room (DaemonSets alone overflow the type) never fits.
bool FitsRoom(const Vec& requests, const Vec& room) {
  for (size_t i = 0; i < requests.size(); ++i) {
    if ((requests[i] > 0 || room[i] < 0) && requests[i] > room[i]) return false;
  }
  return true;
}

using internal::OfferBits;
using internal::TypeStatic;

struct ITData {
  const InstanceType* it = nullptr;
  const TypeStatic* s = nullptr;  // the catalog-derived part (PreparedInstanceTypes)
  Vec allocatable;
  Vec capacity;  // includes nodes: 1 for limit accounting
};

bool OfferingCompatible(const Offering& o, const Requirements& reqs) {
  const Requirement* zone = reqs.Find(api::kLabelZone);
  if (zone != nullptr && !zone->Has(o.zone)) return false;
  const Requirement* ct = reqs.Find(api::kLabelCapacityType);
  if (ct != nullptr && !ct->Has(o.capacity_type)) return false;
  return true;
}

bool HasCompatibleOffering(const InstanceType& it, const Requirements& reqs) {
  for (const auto& o : it.offerings) {
    if (o.available && OfferingCompatible(o, reqs)) return true;
  }
  return false;
}

struct Template {
  const api::NodePool* pool = nullptr;
  Requirements reqs;
  std::vector<int> options;          // indices into the instance-type table, prefiltered
  std::vector<Vec> daemon_overhead;  // per instance type (index as in the type table); options only
  std::vector<Vec> room;             // per instance type: allocatable − daemon overhead; options only
  // Per instance type: host ports the DaemonSets that would run on it bind (options only); a
  // pod needing one of them cannot go on a node of that type.
  std::vector<std::vector<scheduling::HostPort>> daemon_ports;
  bool any_daemon_ports = false;
  std::string node_class_label;      // e.g. karpenter.k8s.aws/ec2nodeclass
};

struct Prefs {
  std::vector<api::NodeSelectorTerm> required_terms;
  std::vector<api::PreferredSchedulingTerm> preferred;  // heaviest first
  internal::ActiveTerms topology;                        // preferred topology terms dropped
  bool tolerate_prefer_no_schedule = false;
};

struct PodData {
  const api::Pod* pod = nullptr;
  std::string key;  // namespace/name
  Vec requests;
  std::vector<scheduling::HostPort> host_ports;
  std::string ignored;  // non-empty: Karpenter would not provision for this pod (reason)
  internal::PodTopology topo;
  // Node requirements its volumes impose, as alternatives (any one will do); empty: none.
  std::vector<Requirements> volume_alts;
  scheduling::DriverVolumes volumes;       // CSI volumes it attaches, by driver
};

struct NodeState {
  std::string name;
  int slot = 0;  // topology hostname slot
  bool is_claim = false;
  bool initialized = true;
  Requirements reqs;
  std::vector<api::Taint> taints;
  Vec available;
  std::vector<scheduling::HostPort> host_ports;  // bound by the node's pods
  std::vector<std::string> placed;
  scheduling::VolumeUsage volumes;  // attached by the node's pods
  scheduling::VolumeLimits volume_limits;  // from its CSINode; empty = unlimited
};

struct Claim {
  int tmpl = 0;
  int slot = 0;  // topology hostname slot
  std::string hostname;
  Requirements reqs;
  std::vector<int> options;
  Vec requests;  // sum of pod requests (no daemon overhead)
  Vec max_room;  // per resource, max over options of allocatable − daemon overhead
  Vec min_room;  // per resource, min over options (what fits it fits every option)
  std::vector<int> pods;
  std::vector<scheduling::HostPort> host_ports;  // bound by its pods
  bool min_values_relaxed = false;
  std::vector<uint64_t> key_masks;  // topology domains of reqs per key (Topology::KeyMasks)
  scheduling::VolumeUsage volumes;   // attached by its pods
};

// Which of Karpenter's three instance-type criteria some type met, to explain a failure.
struct FilterFlags {
  bool requirements_met = false, fits = false, has_offering = false;
  bool requirements_and_fits = false, requirements_and_offering = false, fits_and_offering = false;
};

std::string FilterErrorMessage(const FilterFlags& f, const std::string& reqs,
                               const std::string& res, bool huge_cpu) {
  std::string tail = StrCat(", requirements=", reqs, ", resources=", res);
  if (!f.requirements_met && !f.fits && !f.has_offering)
    return "no instance type met the scheduling requirements or had enough resources or had a "
           "required offering" +
           tail;
  if (!f.requirements_met && !f.fits)
    return "no instance type met the scheduling requirements or had enough resources" + tail;
  if (!f.requirements_met && !f.has_offering)
    return "no instance type met the scheduling requirements or had a required offering" + tail;
  if (!f.fits && !f.has_offering)
    return "no instance type had enough resources or had a required offering" + tail;
  if (!f.requirements_met) return "no instance type met all requirements" + tail;
  if (!f.fits) {
    std::string m = "no instance type has enough resources" + tail;
    if (huge_cpu) m += " (CPU request >= 1 Million, m vs M typo?)";
    return m;
  }
  if (!f.has_offering) return "no instance type has the required offering" + tail;
  if (f.requirements_and_fits)
    return "no instance type which met the scheduling requirements and had enough resources, had "
           "a required offering" +
           tail;
  if (f.fits_and_offering)
    return "no instance type which had enough resources and the required offering met the "
           "scheduling requirements" +
           tail;
  if (f.requirements_and_offering)
    return "no instance type which met the scheduling requirements and the required offering had "
           "the required resources" +
           tail;
  return "no instance type met the requirements/resources/offering tuple" + tail;
}

bool operator==(const Requirement& a, const Requirement& b) {
  return a.key() == b.key() && a.complement() == b.complement() && a.values() == b.values() &&
         a.gte() == b.gte() && a.lte() == b.lte() && a.min_values() == b.min_values();
}
bool SameRequirements(const Requirements& a, const Requirements& b) {
  if (a.items().size() != b.items().size()) return false;
  auto ia = a.items().begin();
  auto ib = b.items().begin();
  for (; ia != a.items().end(); ++ia, ++ib) {
    if (!(ia->second == ib->second)) return false;
  }
  return true;
}

// Distinct values of `key` across the instance types, as Karpenter counts them for minValues.
size_t DistinctValues(const std::vector<int>& options, const std::vector<ITData>& types,
                      const Requirement& req) {
  absl::flat_hash_set<std::string> seen;
  for (int i : options) {
    const InstanceType& it = *types[i].it;
    if (req.key() == api::kLabelZone || req.key() == api::kLabelCapacityType) {
      for (const auto& o : it.offerings) {
        const std::string& v = req.key() == api::kLabelZone ? o.zone : o.capacity_type;
        if (req.Has(v)) seen.insert(v);
      }
    } else {
      auto l = it.labels.find(req.key());
      if (l != it.labels.end() && req.Has(l->second)) seen.insert(l->second);
    }
  }
  return seen.size();
}

// The first requirement whose minValues the options cannot meet, or "" when all are met.
std::string UnmetMinValues(const std::vector<int>& options, const std::vector<ITData>& types,
                           const Requirements& reqs) {
  std::vector<std::string> unmet;
  for (const auto& [k, r] : reqs.items()) {
    if (!r.min_values()) continue;
    if (DistinctValues(options, types, r) < static_cast<size_t>(*r.min_values()))
      unmet.push_back(k);
  }
  return StrJoin(unmet, ", ");
}

std::string DeterministicSuffix(std::string_view pool, int ordinal) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view s) {
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
  };
  mix(pool);
  mix(StrCat("/", ordinal));
  std::string out;
  for (int i = 0; i < 5; ++i) {
    out += kAlphabet[h % kAlphabet.size()];
    h /= kAlphabet.size();
  }
  return out;
}

class Scheduler {
 public:
  explicit Scheduler(const Snapshot& s)
      : snap_(s),
        volumes_(s.persistent_volume_claims, s.persistent_volumes, s.storage_classes,
                 s.csi_nodes) {}

  Plan Run() {
    Intern();
    BuildInstanceTypes();
    BuildTemplates();
    BuildExistingNodes();
    BuildPods();
    BuildTopology();
    Schedule();
    return Finalize();
  }

 private:
  // ---- setup ----

  void Intern() {
    res_.Intern(api::kResourceCPU);
    res_.Intern(api::kResourceMemory);
    res_.Intern(api::kResourcePods);
    res_.Intern(api::kResourceNodes);
    for (const auto& it : *snap_.instance_types) {
      res_.InternAll(it.capacity);
    }
    for (const auto& p : snap_.pods) res_.InternAll(scheduling::PodSchedulingRequests(p.spec));
    for (const auto& np : snap_.node_pools) res_.InternAll(np.limits);
    for (const auto& ds : snap_.daemon_sets)
      res_.InternAll(scheduling::PodSchedulingRequests(ds.template_.spec));
    for (const auto& n : snap_.nodes) {
      res_.InternAll(n.node.allocatable);
      res_.InternAll(n.node.capacity);
      for (const auto& p : n.pods) res_.InternAll(scheduling::PodSchedulingRequests(p.spec));
    }
    for (const auto& nc : snap_.node_claims) {
      res_.InternAll(nc.status.allocatable);
      res_.InternAll(nc.status.capacity);
    }
    nodes_idx_ = res_.Find(api::kResourceNodes);
    for (const auto& ds : snap_.daemon_sets) {
      daemon_requests_.push_back(res_.Dense(scheduling::PodSchedulingRequests(ds.template_.spec)));
    }
    cpu_idx_ = res_.Find(api::kResourceCPU);
  }

  void BuildInstanceTypes() {
    if (snap_.prepared != nullptr && snap_.prepared->source == snap_.instance_types) {
      prep_ = snap_.prepared.get();
    } else {
      owned_prep_ = PrepareInstanceTypes(snap_.instance_types);
      prep_ = owned_prep_.get();
    }
    types_.reserve(snap_.instance_types->size());
    for (size_t i = 0; i < snap_.instance_types->size(); ++i) {
      const InstanceType& it = (*snap_.instance_types)[i];
      ITData d;
      d.it = &it;
      d.s = &prep_->types[i];
      d.allocatable = res_.Dense(it.Allocatable());
      d.capacity = res_.Dense(it.capacity);
      d.capacity[nodes_idx_] = 1000;
      types_.push_back(std::move(d));
    }
  }

  // DaemonSet pods that would run on a node with these requirements and taints. For a new
  // NodeClaim (`existing` false) any required node-affinity term may hold and well-known labels
  // the requirements leave open count as satisfiable (Karpenter's isDaemonPodCompatible). For an
  // existing node the check is strict, as Karpenter's isDaemonPodCompatibleWithNode: the
  // nodeSelector and the first required term against the node's labels, every label they name
  // present on the node.
  bool DaemonCompatible(const api::DaemonSet& ds, const Requirements& node_reqs,
                        const std::vector<api::Taint>& taints, bool existing = false) const {
    std::vector<api::Toleration> tols = ds.template_.spec.tolerations;
    tols.push_back(PreferNoScheduleToleration());
    if (!scheduling::CheckTaints(taints, tols).ok()) return false;
    auto base = Requirements::FromLabels(ds.template_.spec.node_selector);
    std::vector<api::NodeSelectorTerm> terms;
    const auto& aff = ds.template_.spec.affinity;
    if (aff && aff->node_affinity && aff->node_affinity->required)
      terms = *aff->node_affinity->required;
    if (terms.empty()) terms.emplace_back();
    if (existing) terms.resize(1);
    for (const auto& term : terms) {
      auto t = Requirements::FromSelector(term.match_expressions);
      if (!t.ok()) continue;
      Requirements r = base;
      r.Add(*t);
      if (node_reqs.Compatible(r, existing ? kNoUndefinedLabels : prep_->well_known).ok()) return true;
    }
    return false;
  }

  void BuildTemplates() {
    std::vector<const api::NodePool*> pools;
    for (const auto& np : snap_.node_pools) {
      if (np.replicas.has_value()) continue;  // static NodePools are not provisioned dynamically
      if (np.metadata.deletion_timestamp.has_value()) continue;
      pools.push_back(&np);
    }
    // Weight descending, then name (Karpenter: ties by name descending).
    std::stable_sort(pools.begin(), pools.end(),
                     [](const api::NodePool* a, const api::NodePool* b) {
                       if (a->EffectiveWeight() != b->EffectiveWeight())
                         return a->EffectiveWeight() > b->EffectiveWeight();
                       return a->metadata.name > b->metadata.name;
                     });
    have_node_pools_ = !pools.empty();
    for (const api::NodePool* np : pools) {
      Template t;
      t.pool = np;
      auto reqs = Requirements::FromSelector(np->template_.spec.requirements);
      if (!reqs.ok()) continue;  // validation rejects these before Solve
      t.reqs = *reqs;
      t.reqs.Add(Requirements::FromLabels(np->template_.labels));
      t.reqs.Add(Requirement::In(std::string(api::kLabelNodePool), {np->metadata.name}));
      const auto& ref = np->template_.spec.node_class_ref;
      if (!ref.group.empty() && !ref.kind.empty()) {
        t.node_class_label = StrCat(ref.group, "/", ToLower(ref.kind));
        t.reqs.Add(Requirement::In(t.node_class_label, {ref.name}));
      }
      for (const auto& taint : np->template_.spec.taints) {
        if (taint.effect == "PreferNoSchedule") any_prefer_no_schedule_ = true;
      }
      t.daemon_overhead.resize(types_.size());
      t.room.resize(types_.size());
      t.daemon_ports.resize(types_.size());
      for (int i = 0; i < static_cast<int>(types_.size()); ++i) {
        const ITData& d = types_[i];
        if (!d.s->reqs.Intersects(t.reqs).ok() || !HasCompatibleOffering(*d.it, t.reqs)) continue;
        Vec overhead(res_.size(), 0);
        if (!snap_.daemon_sets.empty()) {
          // A DaemonSet's pods run once the node has registered and initialized (Karpenter
          // adds both labels to the template's requirements for this check only).
          Requirements node_reqs = t.reqs;
          node_reqs.Add(d.s->reqs);
          node_reqs.Add(Requirement::In(std::string(api::kLabelRegistered), {"true"}));
          node_reqs.Add(Requirement::In(std::string(api::kLabelInitialized), {"true"}));
          for (size_t k = 0; k < snap_.daemon_sets.size(); ++k) {
            if (DaemonCompatible(snap_.daemon_sets[k], node_reqs, np->template_.spec.taints)) {
              AddVec(overhead, daemon_requests_[k]);
              auto ports = scheduling::PodHostPorts(snap_.daemon_sets[k].template_.spec);
              t.any_daemon_ports |= !ports.empty();
              t.daemon_ports[i].insert(t.daemon_ports[i].end(), ports.begin(), ports.end());
            }
          }
        }
        t.options.push_back(i);
        t.room[i] = d.allocatable;
        SubVec(t.room[i], overhead);
        t.daemon_overhead[i] = std::move(overhead);
      }
      if (t.options.empty()) continue;  // Karpenter: NoCompatibleInstanceTypes, template skipped
      if (!np->limits.empty()) {
        Vec lim(res_.size(), std::numeric_limits<int64_t>::max());
        for (const auto& [k, q] : np->limits) lim[res_.Find(k)] = q.milli();
        remaining_.emplace(np->metadata.name, std::move(lim));
      }
      templates_.push_back(std::move(t));
    }
  }

  void ChargeLimits(const std::string& pool, const Vec& capacity) {
    auto it = remaining_.find(pool);
    if (it == remaining_.end()) return;
    for (size_t i = 0; i < capacity.size(); ++i) {
      if (it->second[i] != std::numeric_limits<int64_t>::max()) {
        it->second[i] = SaturatingSub(it->second[i], capacity[i]);
      }
    }
  }

  Vec DaemonOverheadOn(const Requirements& reqs, const std::vector<api::Taint>& taints,
                       const std::vector<api::Pod>& running) const {
    Vec overhead(res_.size(), 0);
    for (size_t k = 0; k < snap_.daemon_sets.size(); ++k) {
      const api::DaemonSet& ds = snap_.daemon_sets[k];
      bool present = std::any_of(running.begin(), running.end(), [&](const api::Pod& p) {
        return std::any_of(p.metadata.owner_references.begin(), p.metadata.owner_references.end(),
                           [&](const api::OwnerReference& o) {
                             return o.kind == "DaemonSet" && o.name == ds.metadata.name;
                           });
      });
      if (!present && DaemonCompatible(ds, reqs, taints, /*existing=*/true))
        AddVec(overhead, daemon_requests_[k]);
    }
    return overhead;
  }

  void BuildExistingNodes() {
    for (const auto& en : snap_.nodes) {
      // Limits count every node of the pool, cordoned or deleting ones too (Karpenter sums the
      // capacity of all the pool's nodes in cluster state).
      auto pool = en.node.metadata.labels.find(api::kLabelNodePool);
      if (pool != en.node.metadata.labels.end()) {
        Vec cap = res_.Dense(en.node.capacity);
        cap[nodes_idx_] = 1000;
        ChargeLimits(pool->second, cap);
      }
      if (en.node.unschedulable || en.node.metadata.deletion_timestamp.has_value() ||
          en.marked_for_deletion) {
        continue;
      }
      NodeState n;
      n.name = en.node.metadata.name;
      n.initialized = en.initialized;
      n.reqs = Requirements::FromLabels(en.node.metadata.labels);
      n.reqs.Add(Requirement::In(std::string(api::kLabelHostname), {n.name}));
      n.taints = en.node.taints;
      n.available = res_.Dense(en.node.allocatable);
      n.volume_limits = volumes_.NodeLimits(n.name);
      for (const auto& p : en.pods) {
        Vec r = res_.Dense(scheduling::PodSchedulingRequests(p.spec));
        SubVec(n.available, r);
        if (scheduling::VolumeIndex::HasClaims(p)) {
          if (auto v = volumes_.PodVolumes(p); v.ok()) n.volumes.Add(*v);
        }
        auto ports = scheduling::PodHostPorts(p.spec);
        n.host_ports.insert(n.host_ports.end(), ports.begin(), ports.end());
      }
      Vec ds = DaemonOverheadOn(n.reqs, n.taints, en.pods);
      SubVec(n.available, ds);
      nodes_.push_back(std::move(n));
    }
    for (const auto& nc : snap_.node_claims) {
      if (nc.metadata.deletion_timestamp.has_value()) continue;
      NodeState n;
      n.name = nc.metadata.name;
      n.is_claim = true;
      n.initialized = false;
      auto reqs = Requirements::FromSelector(nc.spec.requirements);
      if (!reqs.ok()) continue;
      n.reqs = *reqs;
      n.reqs.Add(Requirements::FromLabels(nc.metadata.labels));
      n.taints = nc.spec.taints;
      Vec cap = res_.Dense(nc.status.capacity);
      if (!nc.status.allocatable.empty() || !nc.status.capacity.empty()) {
        // Launched: what it reports allocatable. A launched NodeClaim that reports capacity but
        // no allocatable yet takes no pods, as in Karpenter (its allocatable is empty).
        n.available = res_.Dense(nc.status.allocatable);
      } else {
        // Not launched yet: count on the smallest allocatable among its possible instance types,
        // and charge limits with the largest capacity (both pessimistic).
        bool any = false;
        Vec lo(res_.size(), 0), hi(res_.size(), 0);
        std::vector<const ITData*> options;
        for (const auto& d : types_) {
          if (!d.s->reqs.Intersects(n.reqs).ok()) continue;
          options.push_back(&d);
          for (size_t i = 0; i < lo.size(); ++i) {
            lo[i] = any ? std::min(lo[i], d.allocatable[i]) : d.allocatable[i];
            hi[i] = std::max(hi[i], d.capacity[i]);
          }
          any = true;
        }
        n.available = lo;
        if (nc.status.capacity.empty()) cap = hi;
        // Its well-known labels are resolved at launch (the provider adds the launched type's);
        // until then it may carry any value its options have, so a pod that requires one of
        // them (strictly compatible, as on any existing node) can count on it.
        AddOptionLabels(options, n.reqs);
      }
      cap[nodes_idx_] = 1000;
      Vec ds = DaemonOverheadOn(n.reqs, n.taints, {});
      SubVec(n.available, ds);
      auto pool = nc.metadata.labels.find(api::kLabelNodePool);
      if (pool != nc.metadata.labels.end()) ChargeLimits(pool->second, cap);
      nodes_.push_back(std::move(n));
    }
    std::stable_sort(nodes_.begin(), nodes_.end(), [](const NodeState& a, const NodeState& b) {
      if (a.initialized != b.initialized) return a.initialized;
      return a.name < b.name;
    });
  }

  // For a NodeClaim not launched yet: each well-known label every option carries and `reqs` leave
  // open, as In the values the options have; zones and capacity types from their allowed
  // available offerings.
  void AddOptionLabels(const std::vector<const ITData*>& options, Requirements& reqs) const {
    if (options.empty()) return;
    std::map<std::string, std::set<std::string>, std::less<>> values;
    std::map<std::string, size_t, std::less<>> carriers;
    std::set<std::string> zones, cts;
    for (const ITData* d : options) {
      for (const auto& [k, v] : d->it->labels) {
        if (reqs.Has(k) || !prep_->well_known.contains(k)) continue;
        values[k].insert(v);
        ++carriers[k];
      }
      for (const auto& o : d->it->offerings) {
        if (o.available && OfferingCompatible(o, reqs)) {
          zones.insert(o.zone);
          cts.insert(o.capacity_type);
        }
      }
    }
    for (auto& [k, vs] : values) {
      if (carriers[k] == options.size()) reqs.Add(Requirement::In(k, {vs.begin(), vs.end()}));
    }
    if (!reqs.Has(api::kLabelZone) && !zones.empty()) {
      reqs.Add(Requirement::In(std::string(api::kLabelZone), {zones.begin(), zones.end()}));
    }
    if (!reqs.Has(api::kLabelCapacityType) && !cts.empty()) {
      reqs.Add(Requirement::In(std::string(api::kLabelCapacityType), {cts.begin(), cts.end()}));
    }
  }

  // Why Karpenter would not provision for this pod at all, or "".
  static std::string IgnoreReason(const api::Pod& pod) {
    auto check = [](const std::string& key) -> std::string {
      if (api::IsRestrictedLabel(key, /*allow_nodepool_label=*/true)) {
        std::vector<std::string> wk(api::WellKnownLabels().begin(), api::WellKnownLabels().end());
        std::sort(wk.begin(), wk.end());
        return StrCat("using label ", key,
                      " is not allowed as it might interfere with the internal provisioning "
                      "logic; specify a well known label: [",
                      StrJoin(wk, " "),
                      "], or a custom label that does not use a "
                      "restricted domain: [karpenter.k8s.aws karpenter.sh]");
      }
      return "";
    };
    // Karpenter's Provisioner.Validate, in its order: a pod that refuses Karpenter nodes
    // (karpenter.sh/nodepool DoesNotExist in the terms it would schedule with: the heaviest
    // preferred term and the first required one), then restricted labels in the nodeSelector
    // and in every required term (preferred terms are not validated).
    const auto& aff = pod.spec.affinity;
    const bool node_aff = aff && aff->node_affinity;
    auto refuses = [](const api::NodeSelectorTerm& t) {
      return std::any_of(t.match_expressions.begin(), t.match_expressions.end(),
                         [](const api::NodeSelectorRequirement& r) {
                           return r.key == api::kLabelNodePool && r.operator_ == "DoesNotExist";
                         });
    };
    if (node_aff) {
      const auto& preferred = aff->node_affinity->preferred;
      auto heaviest = std::max_element(
          preferred.begin(), preferred.end(),
          [](const api::PreferredSchedulingTerm& a, const api::PreferredSchedulingTerm& b) {
            return a.weight < b.weight;
          });
      const auto& required = aff->node_affinity->required;
      if ((heaviest != preferred.end() && refuses(heaviest->preference)) ||
          (required && !required->empty() && refuses(required->front()))) {
        return "configured to not run on a Karpenter provisioned node";
      }
    }
    for (const auto& [k, v] : pod.spec.node_selector) {
      if (auto m = check(k); !m.empty()) return m;
    }
    if (node_aff && aff->node_affinity->required) {
      for (const auto& t : *aff->node_affinity->required) {
        if (!t.match_fields.empty()) return "node selector term with matchFields is not supported";
        for (const auto& r : t.match_expressions) {
          if (auto m = check(r.key); !m.empty()) return m;
        }
      }
    }
    return "";
  }

  void BuildPods() {
    pods_.reserve(snap_.pods.size());
    for (const auto& p : snap_.pods) {
      PodData d;
      d.pod = &p;
      d.key = StrCat(p.metadata.namespace_, "/", p.metadata.name);
      d.requests = res_.Dense(scheduling::PodSchedulingRequests(p.spec));
      d.host_ports = scheduling::PodHostPorts(p.spec);
      d.ignored = IgnoreReason(p);
      if (d.ignored.empty() && scheduling::VolumeIndex::HasClaims(p)) {
        // Karpenter ignores pods whose claims cannot be resolved.
        absl::Status valid = volumes_.ValidatePod(p);
        auto reqs = valid.ok() ? volumes_.PodVolumeRequirements(p)
                               : absl::StatusOr<std::vector<Requirements>>(valid);
        auto vols = reqs.ok() ? volumes_.PodVolumes(p) : absl::StatusOr<scheduling::DriverVolumes>(
                                                             reqs.status());
        if (!vols.ok()) {
          d.ignored = StrCat("ignoring pod, ", vols.status().message());
        } else {
          d.volume_alts = *std::move(reqs);
          d.volumes = *std::move(vols);
        }
      }
      pods_.push_back(std::move(d));
    }
  }

  // Topology: groups from every pod's terms, the domain universe (every NodePool's instance types
  // and offerings, existing nodes, in-flight NodeClaims) and the pods already running.
  void BuildTopology() {
    const bool respect = snap_.options.preference_policy == PreferencePolicy::kRespect;
    for (auto& p : pods_) {
      if (p.ignored.empty()) p.topo = topo_.AddPodTerms(*p.pod, respect);
    }
    std::vector<std::vector<std::vector<int>>> inverse(snap_.nodes.size());
    for (size_t i = 0; i < snap_.nodes.size(); ++i) {
      for (const auto& p : snap_.nodes[i].pods) inverse[i].push_back(topo_.AddExistingPodTerms(p));
    }
    int slot = 0;
    absl::flat_hash_map<std::string, int> schedulable;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      nodes_[i].slot = slot++;
      topo_.NameSlot(nodes_[i].slot, nodes_[i].name);
      if (!nodes_[i].is_claim) schedulable.emplace(nodes_[i].name, static_cast<int>(i));
    }
    // Cordoned and deleting nodes take no pods but their pods still count.
    std::vector<int> node_slot(snap_.nodes.size(), -1);
    for (size_t i = 0; i < snap_.nodes.size(); ++i) {
      auto it = schedulable.find(snap_.nodes[i].node.metadata.name);
      if (it != schedulable.end()) {
        node_slot[i] = it->second;
      } else {
        node_slot[i] = slot++;
        topo_.NameSlot(node_slot[i], snap_.nodes[i].node.metadata.name);
      }
    }
    claim_slot_base_ = slot;
    if (topo_.empty()) return;

    for (const std::string& key : topo_.Keys()) {
      const bool zone = key == api::kLabelZone, ct = key == api::kLabelCapacityType;
      for (const Template& t : templates_) {
        const std::vector<api::Taint>* taints = &t.pool->template_.spec.taints;
        for (int i : t.options) {
          const ITData& d = types_[i];
          if (zone || ct) {
            for (const auto& o : d.it->offerings) {
              if (o.available && OfferingCompatible(o, t.reqs))
                topo_.AddDomain(key, zone ? o.zone : o.capacity_type, taints);
            }
            continue;
          }
          Requirement r = t.reqs.Get(key).Intersection(d.s->reqs.Get(key));
          if (r.complement()) continue;
          for (const auto& v : r.values()) topo_.AddDomain(key, v, taints);
        }
      }
      for (const auto& en : snap_.nodes) {
        auto l = en.node.metadata.labels.find(key);
        if (l == en.node.metadata.labels.end()) continue;
        Requirements labels = Requirements::FromLabels(en.node.metadata.labels);
        topo_.AddDomain(key, l->second, &en.node.taints, &labels);
      }
      for (const auto& n : nodes_) {
        const Requirement* r = n.is_claim ? n.reqs.Find(key) : nullptr;
        if (r == nullptr || r->complement()) continue;
        for (const auto& v : r->values()) topo_.AddDomain(key, v, &n.taints, &n.reqs);
      }
    }
    for (auto& p : pods_) {
      if (p.ignored.empty()) topo_.Link(*p.pod, p.topo);
    }
    for (size_t i = 0; i < snap_.nodes.size(); ++i) {
      const api::Node& node = snap_.nodes[i].node;
      Requirements reqs;
      const Requirements* node_reqs = nullptr;
      auto it = schedulable.find(node.metadata.name);
      if (it != schedulable.end()) {
        node_reqs = &nodes_[it->second].reqs;
      } else {
        reqs = Requirements::FromLabels(node.metadata.labels);
        reqs.Add(Requirement::In(std::string(api::kLabelHostname), {node.metadata.name}));
        node_reqs = &reqs;
      }
      internal::NodeView view{node_slot[i], node_reqs, &node.taints};
      for (size_t k = 0; k < snap_.nodes[i].pods.size(); ++k) {
        const api::Pod& p = snap_.nodes[i].pods[k];
        if (p.metadata.deletion_timestamp.has_value() || p.status.phase == "Succeeded" ||
            p.status.phase == "Failed") {
          continue;
        }
        topo_.RecordExisting(p, inverse[i][k], view);
      }
    }
  }

  Prefs InitialPrefs(const api::Pod& pod) const {
    Prefs p;
    const auto& aff = pod.spec.affinity;
    if (aff && aff->node_affinity) {
      if (aff->node_affinity->required) p.required_terms = *aff->node_affinity->required;
      if (snap_.options.preference_policy == PreferencePolicy::kRespect) {
        p.preferred = aff->node_affinity->preferred;
        std::stable_sort(p.preferred.begin(), p.preferred.end(),
                         [](const auto& a, const auto& b) { return a.weight > b.weight; });
      }
    }
    return p;
  }

  // Karpenter's relaxation order for the preferences this core models; false when nothing is left.
  bool Relax(Prefs& p, const internal::PodTopology& topo) const {
    if (p.required_terms.size() > 1) {
      p.required_terms.erase(p.required_terms.begin());
      return true;
    }
    if (p.topology.affinity_dropped < topo.preferred_affinity.size()) {
      ++p.topology.affinity_dropped;
      return true;
    }
    if (p.topology.anti_dropped < topo.preferred_anti.size()) {
      ++p.topology.anti_dropped;
      return true;
    }
    if (!p.preferred.empty()) {
      p.preferred.erase(p.preferred.begin());
      return true;
    }
    if (p.topology.anyway_dropped < topo.schedule_anyway.size()) {
      ++p.topology.anyway_dropped;
      return true;
    }
    if (any_prefer_no_schedule_ && !p.tolerate_prefer_no_schedule) {
      p.tolerate_prefer_no_schedule = true;
      return true;
    }
    return false;
  }

  // One attempt's pod requirements: `node` (nodeSelector, the current required term and the
  // heaviest preferred one) decides where the pod may go; topology domains come from the strict
  // part alone (no preferred term), as Karpenter passes its StrictRequirements to the topology:
  // a preference never removes a spread's domains.
  struct AttemptReqs {
    Requirements node;
    std::optional<Requirements> strict;  // set when it differs from `node`
    const Requirements& topo() const { return strict ? *strict : node; }
  };

  static absl::StatusOr<AttemptReqs> AttemptRequirements(const api::Pod& pod, const Prefs& prefs) {
    AttemptReqs out;
    Prefs required = prefs;
    required.preferred.clear();
    ASSIGN_OR_RETURN(out.node, PodRequirements(pod, required));
    if (!prefs.preferred.empty()) {
      out.strict = out.node;
      auto t = Requirements::FromSelector(prefs.preferred.front().preference.match_expressions);
      if (!t.ok()) return t.status();
      out.node.Add(*t);
    }
    return out;
  }

  static absl::StatusOr<Requirements> PodRequirements(const api::Pod& pod, const Prefs& prefs) {
    Requirements r = Requirements::FromLabels(pod.spec.node_selector);
    if (!prefs.required_terms.empty()) {
      auto t = Requirements::FromSelector(prefs.required_terms.front().match_expressions);
      if (!t.ok()) return t.status();
      r.Add(*t);
    }
    if (!prefs.preferred.empty()) {
      auto t = Requirements::FromSelector(prefs.preferred.front().preference.match_expressions);
      if (!t.ok()) return t.status();
      r.Add(*t);
    }
    return r;
  }

  // Resource-wise minimum DaemonSet overhead over `options` (zeros when there are none).
  Vec MinOverhead(const Template& t, const std::vector<int>& options) const {
    if (options.empty()) return Vec(res_.size(), 0);
    Vec lo = t.daemon_overhead[options.front()];
    for (int i : options) {
      const Vec& o = t.daemon_overhead[i];
      for (size_t k = 0; k < lo.size(); ++k) lo[k] = std::min(lo[k], o[k]);
    }
    return lo;
  }

  // ---- placement ----

  absl::Status TryExisting(const PodData& pod, const AttemptReqs& ar,
                           const std::vector<api::Toleration>& tols,
                           const internal::ActiveTerms& active) {
    const Requirements& preqs = ar.node;
    for (auto& n : nodes_) {
      if (!topo_.HostnameAllows(pod.topo, active, n.slot)) continue;
      if (!scheduling::CheckTaints(n.taints, tols).ok()) continue;
      if (!FitsVec(pod.requests, n.available)) continue;
      // Strict, as Karpenter's ExistingNode: a label the pod requires must be on the node.
      if (!n.reqs.Compatible(preqs, kNoUndefinedLabels).ok()) continue;
      if (!scheduling::CheckHostPorts(n.host_ports, pod.host_ports).ok()) continue;
      if (!pod.volume_alts.empty() &&
          std::none_of(pod.volume_alts.begin(), pod.volume_alts.end(), [&](const Requirements& v) {
            return n.reqs.Compatible(v, kNoUndefinedLabels).ok();
          })) {
        continue;
      }
      if (!n.volume_limits.empty() && !n.volumes.CheckFits(pod.volumes, n.volume_limits).ok())
        continue;
      internal::NodeView view{n.slot, &n.reqs, &n.taints};
      if (!pod.topo.empty()) {
        if (!topo_.DomainRequirements(pod.topo, active, ar.topo(), view, false).ok())
          continue;
        topo_.Record(pod.topo, view);
      }
      SubVec(n.available, pod.requests);
      if (!pod.volumes.empty()) n.volumes.Add(pod.volumes);
      n.host_ports.insert(n.host_ports.end(), pod.host_ports.begin(), pod.host_ports.end());
      n.placed.push_back(pod.key);
      return absl::OkStatus();
    }
    return absl::NotFoundError("no existing node");
  }

  struct AddResult {
    std::optional<Requirements> reqs;  // nullopt: the NodeClaim's requirements stay as they are
    std::vector<int> options;
    bool options_unchanged = false;  // every option still fits: `options` left empty
    bool relaxed = false;
  };

  // A reason-less rejection for callers that discard it (building messages is costly).
  // A non-OK status without a message is stored inline by absl (no allocation, no refcount).
  static absl::Status Rejected() { return absl::Status(absl::StatusCode::kInvalidArgument, ""); }

  // Zone and capacity-type bitmasks of what `reqs` allows (all bits when unconstrained).
  uint64_t Mask(const Requirements& reqs, std::string_view key,
                const std::vector<std::string>& table) const {
    const Requirement* r = reqs.Find(key);
    if (r == nullptr) return ~uint64_t{0};
    uint64_t m = 0;
    for (size_t i = 0; i < table.size(); ++i) {
      if (r->Has(table[i])) m |= uint64_t{1} << i;
    }
    return m;
  }
  static bool AnyOffer(const ITData& d, uint64_t zones, uint64_t cts) {
    for (const auto& o : d.s->offers) {
      if ((zones >> o.zone & 1) && (cts >> o.capacity_type & 1)) return true;
    }
    return false;
  }
  // Whether every key that differs between `a` (narrower) and `b` is zone, capacity type or
  // hostname — keys whose effect on instance types the offering bitmasks decide.
  static bool OnlyOfferingKeysDiffer(const Requirements& a, const Requirements& b) {
    for (const auto& [k, r] : a.items()) {
      if (k == api::kLabelZone || k == api::kLabelCapacityType || k == api::kLabelHostname)
        continue;
      const Requirement* o = b.Find(k);
      if (o == nullptr || !(r == *o)) return false;
    }
    return true;
  }

  // Whether the pod can join the NodeClaim, trying its volume alternatives in order (the first
  // that fits wins, as in Karpenter; the last failure explains).
  absl::StatusOr<AddResult> CanAdd(const Claim& c, const PodData& pod, const AttemptReqs& ar,
                                   const std::vector<api::Toleration>& tols,
                                   const internal::ActiveTerms& active, bool explain) const {
    if (pod.volume_alts.empty()) return CanAddWith(c, pod, ar, tols, active, explain, nullptr);
    absl::StatusOr<AddResult> last = Rejected();
    for (const Requirements& v : pod.volume_alts) {
      last = CanAddWith(c, pod, ar, tols, active, explain, &v);
      if (last.ok()) break;
    }
    return last;
  }

  absl::StatusOr<AddResult> CanAddWith(const Claim& c, const PodData& pod, const AttemptReqs& ar,
                                       const std::vector<api::Toleration>& tols,
                                       const internal::ActiveTerms& active, bool explain,
                                       const Requirements* volume) const {
    const Requirements& preqs = ar.node;
    const Template& t = templates_[c.tmpl];
    if (absl::Status s = scheduling::CheckTaints(t.pool->template_.spec.taints, tols); !s.ok())
      return explain ? s : Rejected();
    if (!pod.host_ports.empty()) {
      absl::Status s = scheduling::CheckHostPorts(c.host_ports, pod.host_ports);
      if (!s.ok()) return explain ? s : Rejected();
    }
    // The NodeClaim's requirements narrowed by the pod's, and by its topology; copied only when
    // they differ from the NodeClaim's own.
    Requirements merged;
    const Requirements* reqs = &c.reqs;
    if (!preqs.empty()) {
      if (absl::Status s = c.reqs.Compatible(preqs, prep_->well_known); !s.ok()) {
        if (!explain) return Rejected();
        return absl::InvalidArgumentError(StrCat("incompatible requirements, ", s.message()));
      }
      merged = c.reqs;
      merged.Add(preqs);
      reqs = &merged;
    }
    if (volume != nullptr && !volume->empty()) {
      // Volume zones narrow the node, not the pod's own requirements (topology domains).
      if (absl::Status s = reqs->Compatible(*volume, prep_->well_known); !s.ok()) {
        if (!explain) return Rejected();
        return absl::InvalidArgumentError(StrCat("incompatible volume requirements, ", s.message()));
      }
      if (reqs != &merged) {
        merged = c.reqs;
        reqs = &merged;
      }
      merged.Add(*volume);
    }
    if (!pod.topo.empty()) {
      // Topology last: it may collapse the NodeClaim's domains to one.
      internal::NodeView view{c.slot, reqs, &t.pool->template_.spec.taints,
                              reqs == &c.reqs && !c.key_masks.empty() ? &c.key_masks : nullptr};
      auto treqs = topo_.DomainRequirements(pod.topo, active, ar.topo(), view, explain);
      if (!treqs.ok()) return explain ? treqs.status() : Rejected();
      if (!treqs->empty()) {
        if (reqs != &merged) {
          merged = c.reqs;
          reqs = &merged;
        }
        merged.Add(*treqs);
      }
    }
    const bool same = reqs == &c.reqs || SameRequirements(*reqs, c.reqs);
    const bool offers_only = !same && prep_->masks_ok && OnlyOfferingKeysDiffer(*reqs, c.reqs);
    uint64_t zones = ~uint64_t{0}, cts = ~uint64_t{0};
    if (offers_only) {
      zones = Mask(*reqs, api::kLabelZone, prep_->zone_table);
      cts = Mask(*reqs, api::kLabelCapacityType, prep_->ct_table);
    }
    Vec total = Sum(c.requests, pod.requests);
    FilterFlags f;
    AddResult r;
    // Attach limits: unique volumes per driver once the pod joins, against each type's limit.
    std::vector<std::pair<std::string, int>> volume_counts;
    if (!pod.volumes.empty()) {
      for (const auto& [driver, ids] : pod.volumes) {
        volume_counts.emplace_back(driver, c.volumes.CountWith(driver, pod.volumes));
      }
    }
    // DaemonSet host ports: types whose DaemonSets bind a port the pod needs are passed over
    // without counting towards the failure reasons (Karpenter skips their overhead group).
    const bool daemon_ports = t.any_daemon_ports && !pod.host_ports.empty();
    // Fast path: nothing narrows the requirements and even the smallest option has room.
    if (same && !daemon_ports && volume_counts.empty() && !c.min_room.empty() &&
        FitsRoom(total, c.min_room)) {
      r.options_unchanged = true;
      return r;
    }
    for (int i : c.options) {
      const ITData& d = types_[i];
      if (daemon_ports && !scheduling::CheckHostPorts(t.daemon_ports[i], pod.host_ports).ok()) {
        continue;
      }
      bool fits = FitsRoom(total, t.room[i]);
      for (const auto& [driver, count] : volume_counts) {
        std::optional<int> limit = d.it->VolumeLimit(driver);
        if (limit && count > *limit) fits = false;
      }
      bool req_ok = true, offer = true;
      if (offers_only) {
        offer = AnyOffer(d, zones, cts);
        req_ok = offer;  // the type's zone/capacity-type requirements are its offerings'
      } else if (!same) {
        req_ok = d.s->reqs.Intersects(*reqs).ok();
        offer = HasCompatibleOffering(*d.it, *reqs);
      }
      f.requirements_met |= req_ok;
      f.fits |= fits;
      f.has_offering |= offer;
      f.requirements_and_fits |= req_ok && fits && !offer;
      f.requirements_and_offering |= req_ok && offer && !fits;
      f.fits_and_offering |= fits && offer && !req_ok;
      if (req_ok && fits && offer) r.options.push_back(i);
    }
    if (r.options.empty()) {
      if (!explain) return Rejected();
      Vec with_daemons = Sum(total, MinOverhead(t, c.options));
      bool huge_cpu = total[cpu_idx_] >= int64_t{1000000} * 1000;
      return absl::InvalidArgumentError(
          FilterErrorMessage(f, reqs->ToString(), res_.ToJson(with_daemons), huge_cpu));
    }
    // minValues: checked when the options or requirements change, and on a new NodeClaim (whose
    // options may be the template's, which nothing checked before).
    if (r.options.size() != c.options.size() || !same || c.pods.empty()) {
      if (std::string unmet = UnmetMinValues(r.options, types_, *reqs); !unmet.empty()) {
        if (snap_.options.min_values_policy == MinValuesPolicy::kStrict) {
          if (!explain) return Rejected();
          return absl::InvalidArgumentError(StrCat("minValues requirement is not met for label(s) ",
                                                   unmet, ", requirements=", reqs->ToString(),
                                                   ", resources=", res_.ToJson(total)));
        }
        r.relaxed = true;
      }
    }
    if (reqs == &merged) r.reqs = std::move(merged);
    return r;
  }

  void Commit(Claim& c, const PodData& pod, int pod_index, AddResult r) {
    const bool options_changed =
        !r.options_unchanged && (r.options.size() != c.options.size() || c.max_room.empty());
    if (r.reqs) c.reqs = *std::move(r.reqs);
    if (!r.options_unchanged) c.options = std::move(r.options);
    c.min_values_relaxed |= r.relaxed;
    AddVec(c.requests, pod.requests);
    if (!pod.volumes.empty()) c.volumes.Add(pod.volumes);
    c.host_ports.insert(c.host_ports.end(), pod.host_ports.begin(), pod.host_ports.end());
    c.pods.push_back(pod_index);
    const Template& t = templates_[c.tmpl];
    if (!topo_.empty()) {
      c.key_masks = topo_.KeyMasks(c.reqs);
      if (!pod.topo.empty()) {
        topo_.Record(pod.topo,
                     internal::NodeView{c.slot, &c.reqs, &t.pool->template_.spec.taints,
                                        &c.key_masks});
      }
    }
    if (!options_changed) return;  // options only shrink: same size, same set
    c.max_room.assign(res_.size(), 0);
    c.min_room.assign(res_.size(), std::numeric_limits<int64_t>::max());
    for (int i : c.options) {
      const Vec& room = t.room[i];
      for (size_t k = 0; k < room.size(); ++k) {
        c.max_room[k] = std::max(c.max_room[k], room[k]);
        c.min_room[k] = std::min(c.min_room[k], room[k]);
      }
    }
  }

  // In-flight order: fewer pods first, then creation order.
  bool LoadBefore(int a, int b) const {
    size_t la = claims_[a].pods.size(), lb = claims_[b].pods.size();
    return la != lb ? la < lb : a < b;
  }

  // `filter`: the domains the pod's keyed topology terms could allow anywhere (Prefilter); a
  // NodeClaim outside them is skipped without building its requirements.
  absl::Status TryInflight(const PodData& pod, int pod_index, const AttemptReqs& ar,
                           const std::vector<api::Toleration>& tols,
                           const internal::ActiveTerms& active,
                           const internal::Topology::KeyFilter& filter) {
    auto before = [this](int a, int b) { return LoadBefore(a, b); };
    // Places the pod on claim `ci` (at `pos` in the load order) if it fits there.
    auto try_claim = [&](int ci, std::vector<int>::iterator pos) {
      Claim& c = claims_[ci];
      if (!topo_.HostnameAllows(pod.topo, active, c.slot)) return false;
      if (!c.key_masks.empty()) {
        for (const auto& [ki, m] : filter) {
          if ((c.key_masks[ki] & m) == 0) return false;
        }
      }
      if (!FitsSum(c.requests, pod.requests, c.max_room)) return false;  // fits no option
      auto r = CanAdd(c, pod, ar, tols, active, /*explain=*/false);
      if (!r.ok()) return false;
      Commit(c, pod, pod_index, *std::move(r));
      // One more pod: move right past the claims with at most as many (lower index first).
      std::rotate(pos, pos + 1, std::upper_bound(pos + 1, by_load_.end(), ci, before));
      return true;
    };
    // A hostname term that has closed most NodeClaims to this pod: try only the open ones, in the
    // same order.
    if (const std::vector<int>* open = topo_.CandidateSlots(pod.topo, active);
        open != nullptr && open->size() * 4 < by_load_.size()) {
      std::vector<int> cands;
      for (int slot : *open) {
        if (slot >= claim_slot_base_) cands.push_back(slot - claim_slot_base_);
      }
      std::sort(cands.begin(), cands.end(), before);
      for (int ci : cands) {
        if (try_claim(ci, std::lower_bound(by_load_.begin(), by_load_.end(), ci, before)))
          return absl::OkStatus();
      }
      return absl::NotFoundError("no in-flight nodeclaim");
    }
    // Emptiest first; ties in creation order.
    for (auto pos = by_load_.begin(); pos != by_load_.end(); ++pos) {
      if (try_claim(*pos, pos)) return absl::OkStatus();
    }
    return absl::NotFoundError("no in-flight nodeclaim");
  }

  absl::Status TryNew(const PodData& pod, int pod_index, const AttemptReqs& ar,
                      const std::vector<api::Toleration>& tols,
                      const internal::ActiveTerms& active, bool explain) {
    if (!have_node_pools_) return absl::InvalidArgumentError("no dynamic nodepools found");
    if (templates_.empty()) {
      return absl::InvalidArgumentError(
          "nodepool requirements filtered out all available instance types");
    }
    std::vector<std::string> errs;
    for (int ti = 0; ti < static_cast<int>(templates_.size()); ++ti) {
      const Template& t = templates_[ti];
      const std::string& pool = t.pool->metadata.name;
      Claim c;
      c.tmpl = ti;
      c.options = t.options;
      auto rem = remaining_.find(pool);
      if (rem != remaining_.end()) {
        if (rem->second[nodes_idx_] <= 0) {
          errs.push_back(StrCat("node limits have been exhausted for nodepool: \"", pool, "\""));
          continue;
        }
        std::erase_if(c.options, [&](int i) {
          const Vec& cap = types_[i].capacity;
          for (size_t k = 0; k < cap.size(); ++k) {
            if (cap[k] > rem->second[k]) return true;
          }
          return false;
        });
        if (c.options.empty()) {
          errs.push_back(
              StrCat("all available instance types exceed limits for nodepool: \"", pool, "\""));
          continue;
        }
      }
      c.hostname = HostnamePlaceholder(next_hostname_);
      c.slot = claim_slot_base_ + static_cast<int>(claims_.size());
      topo_.NameSlot(c.slot, c.hostname);
      c.reqs = t.reqs;
      c.reqs.Add(Requirement::In(std::string(api::kLabelHostname), {c.hostname}));
      c.requests.assign(res_.size(), 0);
      auto r = CanAdd(c, pod, ar, tols, active, explain);
      if (!r.ok()) {
        if (!explain) continue;
        errs.push_back(StrCat("incompatible with nodepool \"", pool, "\", daemonset overhead=",
                              res_.ToJson(MinOverhead(t, t.options)), ", ", r.status().message()));
        continue;
      }
      ++next_hostname_;
      Commit(c, pod, pod_index, *std::move(r));
      if (rem != remaining_.end()) {
        // Pessimistic: charge the largest capacity the NodeClaim might still launch.
        Vec hi(res_.size(), 0);
        for (int i : c.options) {
          for (size_t k = 0; k < hi.size(); ++k) hi[k] = std::max(hi[k], types_[i].capacity[k]);
        }
        ChargeLimits(pool, hi);
      }
      const int ci = static_cast<int>(claims_.size());
      claims_.push_back(std::move(c));
      auto before = [this](int a, int b) { return LoadBefore(a, b); };
      by_load_.insert(std::upper_bound(by_load_.begin(), by_load_.end(), ci, before), ci);
      topo_.OpenSlot(claims_[ci].slot);
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(StrJoin(errs, "; "));
  }

  absl::Status Add(const PodData& pod, int pod_index, const AttemptReqs& ar,
                   const std::vector<api::Toleration>& tols, const internal::ActiveTerms& active,
                   bool explain) {
    const internal::Topology::KeyFilter filter =
        pod.topo.empty() ? internal::Topology::KeyFilter{}
                         : topo_.Prefilter(pod.topo, active, ar.topo());
    // A term no domain can satisfy fails everywhere: let a new NodeClaim explain why.
    if (internal::Topology::Infeasible(filter)) {
      if (!explain) return Rejected();
      return TryNew(pod, pod_index, ar, tols, active, explain);
    }
    if (TryExisting(pod, ar, tols, active).ok()) return absl::OkStatus();
    if (TryInflight(pod, pod_index, ar, tols, active, filter).ok()) return absl::OkStatus();
    return TryNew(pod, pod_index, ar, tols, active, explain);
  }

  absl::Status TrySchedule(int pod_index) {
    const PodData& pod = pods_[pod_index];
    if (!pod.ignored.empty()) return absl::FailedPreconditionError(pod.ignored);
    Prefs prefs = InitialPrefs(*pod.pod);
    while (true) {
      // Only the last attempt's failure is reported, so earlier ones need no reasons.
      Prefs next = prefs;
      const bool can_relax = Relax(next, pod.topo);
      auto preqs = AttemptRequirements(*pod.pod, prefs);
      absl::Status s = preqs.status();
      if (preqs.ok()) {
        std::vector<api::Toleration> tols = pod.pod->spec.tolerations;
        if (prefs.tolerate_prefer_no_schedule) {
          tols.push_back(PreferNoScheduleToleration());
        }
        s = Add(pod, pod_index, *preqs, tols, prefs.topology, /*explain=*/!can_relax);
        if (s.ok()) return s;
      }
      if (!can_relax) return s;
      prefs = std::move(next);
    }
  }

  void Schedule() {
    std::vector<int> order(pods_.size());
    std::iota(order.begin(), order.end(), 0);
    auto req = [&](int i, int idx) { return idx < 0 ? 0 : pods_[i].requests[idx]; };
    int mem = res_.Find(api::kResourceMemory);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      if (req(a, cpu_idx_) != req(b, cpu_idx_)) return req(a, cpu_idx_) > req(b, cpu_idx_);
      if (req(a, mem) != req(b, mem)) return req(a, mem) > req(b, mem);
      const auto& ma = pods_[a].pod->metadata;
      const auto& mb = pods_[b].pod->metadata;
      if (ma.creation_timestamp != mb.creation_timestamp)
        return ma.creation_timestamp < mb.creation_timestamp;
      if (ma.uid != mb.uid) return ma.uid < mb.uid;
      return pods_[a].key < pods_[b].key;
    });
    // Karpenter's queue: failed pods go to the back; stop after a full cycle without progress.
    std::deque<int> queue(order.begin(), order.end());
    absl::flat_hash_map<int, size_t> last_len;
    absl::flat_hash_map<int, std::string> errors;
    while (!queue.empty()) {
      int p = queue.front();
      auto ll = last_len.find(p);
      if (ll != last_len.end() && ll->second == queue.size()) break;
      queue.pop_front();
      absl::Status s = TrySchedule(p);
      if (s.ok()) {
        errors.erase(p);
        continue;
      }
      errors[p] = std::string(s.message());
      queue.push_back(p);
      last_len[p] = queue.size();
    }
    std::vector<int> failed(queue.begin(), queue.end());
    std::sort(failed.begin(), failed.end(),
              [&](int a, int b) { return pods_[a].key < pods_[b].key; });
    for (int p : failed) unschedulable_.push_back({pods_[p].key, errors[p]});
  }

  // ---- output ----

  // `unmet_min_values`: set to the labels whose minValues the truncated options miss, when the
  // policy is Strict (the NodeClaim must then not be created).
  PlannedNodeClaim FinalizeClaim(const Claim& c, int ordinal,
                                 std::string* unmet_min_values) {  // not const: caches
    const Template& t = templates_[c.tmpl];
    const api::NodePool& np = *t.pool;
    PlannedNodeClaim out;
    out.node_pool = np.metadata.name;
    out.name = StrCat(np.metadata.name, "-", DeterministicSuffix(np.metadata.name, ordinal));
    out.node_class_ref = np.template_.spec.node_class_ref;
    out.taints = np.template_.spec.taints;
    out.startup_taints = np.template_.spec.startup_taints;
    out.min_values_relaxed = c.min_values_relaxed;
    Requirements reqs = c.reqs;
    reqs.Erase(api::kLabelHostname);
    // Offerings the NodeClaim's requirements allow (bitmasks when the tables fit in 64 bits).
    const uint64_t zones = prep_->masks_ok ? Mask(reqs, api::kLabelZone, prep_->zone_table) : 0;
    const uint64_t cts_allowed = prep_->masks_ok ? Mask(reqs, api::kLabelCapacityType, prep_->ct_table) : 0;
    auto allowed = [&](const ITData& d, const OfferBits& o) {
      if (prep_->masks_ok) return (zones >> o.zone & 1) && (cts_allowed >> o.capacity_type & 1);
      return OfferingCompatible(d.it->offerings[o.index], reqs);
    };

    // Options cheapest first (ties by name), truncated. The order of the template's options
    // under the same zone/capacity-type masks is computed once and filtered per NodeClaim.
    auto price_order = [&](const std::vector<int>& options) {
      std::vector<std::pair<double, int>> priced;
      priced.reserve(options.size());
      for (int i : options) {
        double best = kInf;
        for (const auto& o : types_[i].s->offers) {
          if (allowed(types_[i], o)) best = std::min(best, o.price);
        }
        priced.emplace_back(best, i);
      }
      std::sort(priced.begin(), priced.end(), [&](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first < b.first;
        return types_[a.second].s->name_rank < types_[b.second].s->name_rank;
      });
      return priced;
    };
    std::vector<std::pair<double, int>> priced;
    if (prep_->masks_ok) {
      auto key = std::make_tuple(c.tmpl, zones, cts_allowed);
      auto cached = price_order_cache_.find(key);
      if (cached == price_order_cache_.end()) {
        cached = price_order_cache_.emplace(key, price_order(t.options)).first;
      }
      member_.assign(types_.size(), 0);
      for (int i : c.options) member_[i] = 1;
      priced.reserve(c.options.size());
      for (const auto& e : cached->second) {
        if (member_[e.second]) priced.push_back(e);
      }
    } else {
      priced = price_order(c.options);
    }
    const bool truncated = static_cast<int>(priced.size()) > snap_.options.max_instance_types;
    if (truncated) priced.resize(std::max(0, snap_.options.max_instance_types));
    std::vector<int> kept;
    kept.reserve(priced.size());
    uint64_t ct_bits = 0;
    std::set<std::string> cts;
    out.instance_type_options.reserve(priced.size());
    // Once every allowed capacity type has been seen, the remaining options add none.
    const uint64_t ct_all =
        prep_->masks_ok
            ? cts_allowed & (prep_->ct_table.size() >= 64 ? ~uint64_t{0}
                                                           : (uint64_t{1} << prep_->ct_table.size()) - 1)
            : 0;
    for (const auto& [price, i] : priced) {
      kept.push_back(i);
      out.instance_type_options.push_back(types_[i].it->name);
      if (prep_->masks_ok && ct_bits == ct_all) continue;
      for (const auto& o : types_[i].s->offers) {
        if (!allowed(types_[i], o)) continue;
        if (prep_->masks_ok) {
          ct_bits |= uint64_t{1} << o.capacity_type;
        } else {
          cts.insert(types_[i].it->offerings[o.index].capacity_type);
        }
      }
    }
    for (size_t b = 0; b < prep_->ct_table.size() && prep_->masks_ok; ++b) {
      if (ct_bits >> b & 1) cts.insert(prep_->ct_table[b]);
    }
    // Truncation can drop the values minValues needs (Karpenter's InstanceTypes.Truncate).
    if (truncated && snap_.options.min_values_policy == MinValuesPolicy::kStrict) {
      *unmet_min_values = UnmetMinValues(kept, types_, reqs);
    }
    reqs.Erase(api::kLabelInstanceType);  // replaced by the options (which satisfy it)
    reqs.Add(Requirement::In(std::string(api::kLabelCapacityType), {cts.begin(), cts.end()}));

    // Labels: template labels, NodePool/NodeClass, and custom keys resolved to one value.
    out.labels = np.template_.labels;
    out.labels[std::string(api::kLabelNodePool)] = np.metadata.name;
    if (!t.node_class_label.empty())
      out.labels[t.node_class_label] = np.template_.spec.node_class_ref.name;
    for (const auto& [k, r] : reqs.items()) {
      if (prep_->well_known.contains(k) || api::IsRestrictedLabel(k, true)) continue;
      if (out.labels.contains(k)) continue;
      if (auto v = r.Any()) out.labels[k] = *v;
    }

    // Requests: pods plus the smallest DaemonSet overhead among the options.
    out.requests = res_.Sparse(snap_.daemon_sets.empty() ? c.requests
                                                         : Sum(c.requests, MinOverhead(t, kept)));

    // Launch choice as the AWS provider makes it: reserved, then spot, then on-demand; within the
    // capacity type the cheapest offering; exotic types (GPU, Neuron, metal) only when nothing
    // else remains.
    std::vector<int> launchable;
    for (int i : kept) {
      if (!types_[i].s->exotic) launchable.push_back(i);
    }
    if (launchable.empty()) launchable = kept;
    const InstanceType* best_it = nullptr;
    const Offering* best_o = nullptr;
    for (std::string_view ct :
         {api::kCapacityTypeReserved, api::kCapacityTypeSpot, api::kCapacityTypeOnDemand}) {
      for (int i : launchable) {
        for (const auto& ob : types_[i].s->offers) {
          if (!allowed(types_[i], ob)) continue;
          const Offering& o = types_[i].it->offerings[ob.index];
          if (o.capacity_type != ct) continue;
          if (best_o == nullptr || o.price < best_o->price ||
              (o.price == best_o->price && best_it == types_[i].it && o.zone < best_o->zone)) {
            best_o = &o;
            best_it = types_[i].it;
          }
        }
      }
      if (best_o != nullptr) break;
    }
    if (best_o != nullptr) {
      out.launch = {best_it->name, best_o->zone, best_o->capacity_type, best_o->price,
                    best_o->price_simulated};
      for (const auto& [k, v] : best_it->labels) out.labels.emplace(k, v);
      // A label the type allows several values of takes the NodeClaim's value when its
      // requirements narrow it to one, else the type's first (Karpenter's fake provider does
      // the same with the type's sorted values).
      for (const auto& sel : best_it->requirements) {
        if (sel.operator_ != "In" || sel.values.empty() || out.labels.contains(sel.key)) continue;
        auto r = Requirement::Make(sel.key, sel.operator_, sel.values);
        if (!r.ok()) continue;
        if (const Requirement* narrowed = reqs.Find(sel.key); narrowed != nullptr) {
          *r = r->Intersection(*narrowed);
        }
        if (auto v = r->Any()) out.labels[sel.key] = *v;
      }
      out.labels[std::string(api::kLabelZone)] = best_o->zone;
      out.labels[std::string(api::kLabelCapacityType)] = best_o->capacity_type;
      out.capacity = best_it->capacity;
      out.allocatable = best_it->Allocatable();
    }
    out.requirements = reqs.ToSelector();
    // The instance-type requirement: the kept options in name order, at its key's position.
    api::NodeSelectorRequirement itr;
    itr.key = std::string(api::kLabelInstanceType);
    itr.operator_ = "In";
    itr.values.reserve(kept.size());
    member_.assign(types_.size(), 0);
    for (int i : kept) member_[i] = 1;
    for (int i : prep_->by_name) {
      if (member_[i]) itr.values.push_back(types_[i].it->name);
    }
    auto pos = std::find_if(out.requirements.begin(), out.requirements.end(),
                            [&](const api::NodeSelectorRequirement& r) { return r.key > itr.key; });
    out.requirements.insert(pos, std::move(itr));
    return out;
  }

  Plan Finalize() {
    Plan plan;
    absl::flat_hash_map<std::string, int> ordinal;
    absl::flat_hash_set<std::string> names;
    for (const auto& c : claims_) {
      const std::string& pool = templates_[c.tmpl].pool->metadata.name;
      PlannedNodeClaim pc;
      std::string unmet;
      do {
        pc = FinalizeClaim(c, ordinal[pool]++, &unmet);
      } while (!names.insert(pc.name).second);
      if (!unmet.empty()) {
        for (int p : c.pods) {
          unschedulable_.push_back(
              {pods_[p].key,
               StrCat("pod didn\u2019t schedule because NodePool couldn\u2019t meet minValues "
                      "requirements, validating minValues, minValues requirement is not met for "
                      "label(s) ", unmet, " (NodePool=", pool, ")")});
        }
        continue;
      }
      for (int p : c.pods) pc.pods.push_back(pods_[p].key);
      plan.cost_per_hour += pc.launch.price;
      plan.node_claims.push_back(std::move(pc));
    }
    for (const auto& n : nodes_) {
      if (n.placed.empty()) continue;
      plan.existing_nodes.push_back({n.name, n.is_claim, n.placed});
    }
    plan.unschedulable = std::move(unschedulable_);
    return plan;
  }

  const Snapshot& snap_;
  const scheduling::VolumeIndex volumes_;
  ResourceIndex res_;
  int nodes_idx_ = 0;
  int cpu_idx_ = 0;
  std::vector<ITData> types_;
  const PreparedInstanceTypes* prep_ = nullptr;
  std::shared_ptr<const PreparedInstanceTypes> owned_prep_;  // when the snapshot brings none
  // Finalization scratch: a template's options by price under (zone, capacity-type) masks.
  std::map<std::tuple<int, uint64_t, uint64_t>, std::vector<std::pair<double, int>>>
      price_order_cache_;
  std::vector<char> member_;
  std::vector<Vec> daemon_requests_;  // per DaemonSet, its pod's requests (pods: 1 included)
  std::vector<Template> templates_;
  bool have_node_pools_ = false;
  bool any_prefer_no_schedule_ = false;
  absl::flat_hash_map<std::string, Vec> remaining_;  // NodePool → remaining limits
  std::vector<NodeState> nodes_;
  std::vector<PodData> pods_;
  std::vector<Claim> claims_;
  std::vector<int> by_load_;  // claim indices by (pods, index): in-flight order, emptiest first
  internal::Topology topo_;
  int claim_slot_base_ = 0;
  int next_hostname_ = 0;
  std::vector<UnschedulablePod> unschedulable_;
};

}  // namespace

absl::StatusOr<Plan> Solve(const Snapshot& snapshot) {
  if (snapshot.instance_types == nullptr) {
    return absl::InvalidArgumentError("snapshot has no instance types");
  }
  Scheduler s(snapshot);
  return s.Run();
}

}  // namespace joinery::solver
