// Topology for the solver: topology spread constraints, pod affinity and pod anti-affinity, as
// Karpenter's scheduler models them (docs/solver.md, item 11 "Topology").
//
// A TopologyGroup is one distinct term — (type, topology key, namespaces, selector, maxSkew,
// minDomains, node filter) — shared by every pod that carries it (its owners). It counts, per
// domain, the pods that match its selector. Required anti-affinity terms also get an "inverse"
// group that counts where the owners are, so that pods the term selects keep out of those domains.
//
// Domains: for `kubernetes.io/hostname` a domain is a node slot (an existing node or a NodeClaim
// of this run; a new NodeClaim is always a fresh, empty domain and the global minimum is zero); for
// every other key (zone, capacity type, custom labels) domains are the values offered by the
// NodePools' instance types and offerings plus the labels of existing nodes, interned to small ids.
//
// Usage (single-threaded, inside one Solve): add groups for every pod (AddPodTerms), register the
// domain universe (AddDomain), link each pod to the groups that select it (Link), count pods
// already running (RecordExisting); then, per candidate placement, the cheap exact pre-checks
// (HostnameAllows, Prefilter) and DomainRequirements(), and Record() once committed.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "joinery/api/types.h"
#include "joinery/scheduling/requirements.h"

namespace joinery::solver::internal {

enum class TopologyType { kSpread, kAffinity, kAntiAffinity };

// The topology terms of one pod, as group ids. Required terms always apply; preferred ones apply
// until relaxed (heaviest first), in the order Karpenter relaxes them.
struct PodTopology {
  std::vector<int> required;             // DoNotSchedule spreads, required (anti-)affinity
  std::vector<int> preferred_affinity;   // heaviest first
  std::vector<int> preferred_anti;       // heaviest first
  std::vector<int> schedule_anyway;      // ScheduleAnyway spreads, in spec order
  std::vector<int> counts_toward;        // groups whose selector selects this pod
  std::vector<int> inverse_blocking;     // inverse anti-affinity groups that select this pod
  std::vector<int> inverse_owned;        // inverse groups of this pod's required anti-affinity
  bool any_hostname = false;             // some group above uses the hostname key
  bool empty() const {
    return required.empty() && preferred_affinity.empty() && preferred_anti.empty() &&
           schedule_anyway.empty() && counts_toward.empty() && inverse_blocking.empty() &&
           inverse_owned.empty();
  }
};

// Which preferred terms are still active for one scheduling attempt (counts dropped so far).
struct ActiveTerms {
  size_t affinity_dropped = 0;
  size_t anti_dropped = 0;
  size_t anyway_dropped = 0;
};

// Where a candidate node stands: its hostname slot and its current requirements.
struct NodeView {
  int slot = -1;
  const scheduling::Requirements* reqs = nullptr;
  const std::vector<api::Taint>* taints = nullptr;
  // Optional cache of the node's domains per key index (KeyMasks(reqs)); null = compute.
  const std::vector<uint64_t>* key_masks = nullptr;
};

class Topology {
 public:
  Topology() = default;
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // Phase 1: the terms of a pod to schedule (respect_preferences=false drops preferred terms and
  // ScheduleAnyway spreads). Returns the pod's groups; counts_toward/inverse_blocking are filled
  // later by Link().
  PodTopology AddPodTerms(const api::Pod& pod, bool respect_preferences);
  // Phase 1: a pod already running; its required anti-affinity becomes an inverse group.
  // Returns the inverse groups it owns.
  std::vector<int> AddExistingPodTerms(const api::Pod& pod);
  // Keys some group uses (to know which domains to register).
  bool UsesKey(std::string_view key) const;
  // The keys (other than hostname) some group uses.
  std::vector<std::string> Keys() const;
  bool empty() const { return groups_.empty(); }

  // Phase 2: the domain universe. `taints` (may be null) are those of the NodePool or node that
  // provides the domain, for nodeTaintsPolicy: Honor. `node_labels` (null for a NodePool) are the
  // labels of the existing node that provides it: as in Karpenter, a node's domains count for a
  // spread only when the node passes the spread's node filter (nodeAffinityPolicy: Honor keeps
  // nodes the pod's node affinity allows), while NodePools' domains are filtered by taints only.
  void AddDomain(std::string_view key, std::string_view value,
                 const std::vector<api::Taint>* taints,
                 const scheduling::Requirements* node_labels = nullptr);
  // Hostname slots are registered implicitly; names are for messages.
  void NameSlot(int slot, std::string name);
  // A node or NodeClaim that may take pods from now on (feeds CandidateSlots).
  void OpenSlot(int slot);
  // When one of the pod's active hostname terms (self anti-affinity or a self-selecting spread)
  // leaves only a few slots open, those slots (a superset of the ones the pod may use, unordered);
  // otherwise null.
  const std::vector<int>* CandidateSlots(const PodTopology& pt, const ActiveTerms& active) const;

  // Phase 3: fills counts_toward and inverse_blocking of `pt` for `pod`.
  void Link(const api::Pod& pod, PodTopology& pt) const;
  // Counts a running pod on an existing node toward the groups that select it.
  void RecordExisting(const api::Pod& pod, const std::vector<int>& inverse_owned,
                      const NodeView& node);

  // Phase 4: the requirements the pod's topology adds on `node` (Karpenter's AddRequirements), or
  // InvalidArgument "unsatisfiable topology constraint for …". `pod_reqs` are the pod's node
  // requirements in this attempt. explain=false skips building the message (callers that only
  // need yes/no).
  absl::StatusOr<scheduling::Requirements> DomainRequirements(
      const PodTopology& pt, const ActiveTerms& active, const scheduling::Requirements& pod_reqs,
      const NodeView& node, bool explain = true) const;
  // The domains `reqs` allow for every key (bitmask per key index; all ones past 64 domains), for
  // NodeView::key_masks.
  std::vector<uint64_t> KeyMasks(const scheduling::Requirements& reqs) const;
  // Fast, exact pre-check: the pod's hostname-keyed terms allow the node's slot (what
  // DomainRequirements would decide for them).
  bool HostnameAllows(const PodTopology& pt, const ActiveTerms& active, int slot) const;
  // Per key index, the domains the pod's keyed terms could allow on some node (ANDed over the
  // terms of one key). A node whose domains (KeyMasks) miss one of these is rejected by
  // DomainRequirements too, so callers may skip it without asking. Keys past 64 domains are left
  // out.
  using KeyFilter = std::vector<std::pair<int, uint64_t>>;
  KeyFilter Prefilter(const PodTopology& pt, const ActiveTerms& active,
                      const scheduling::Requirements& pod_reqs) const;
  // A key with no allowed domain at all: no placement can succeed.
  static bool Infeasible(const KeyFilter& filter);
  // Records a committed placement; `node.reqs` are the node's requirements after the placement.
  void Record(const PodTopology& pt, const NodeView& node);

 private:
  struct Group {
    TopologyType type = TopologyType::kSpread;
    bool inverse = false;
    std::string key;
    int key_index = -1;  // into keys_; -1 for hostname
    std::vector<std::string> namespaces;  // sorted; empty = every namespace
    api::LabelSelector selector;
    int32_t max_skew = 1;
    std::optional<int32_t> min_domains;
    // Node filter (spread only): the owner's node requirements (OR of terms) when
    // nodeAffinityPolicy is Honor, and its tolerations when nodeTaintsPolicy is Honor.
    bool honor_affinity = false;
    std::vector<scheduling::Requirements> affinity_terms;
    bool honor_taints = false;
    std::vector<api::Toleration> tolerations;
    std::vector<int32_t> counts;  // per domain id (keyed) or per slot (hostname)
    // Hostname anti-affinity and spread groups: slots whose count is below `limit` (compacted
    // lazily; may hold slots that have since filled up).
    mutable std::vector<int> open_slots;
    int32_t limit = 0;  // 0: not tracked
    int64_t nonzero = 0;          // domains with a count above zero
  };
  struct KeyDomains {
    std::string key;
    std::vector<std::string> values;
    absl::flat_hash_map<std::string, int> index;
    struct Provider {
      const std::vector<api::Taint>* taints = nullptr;
      const scheduling::Requirements* node = nullptr;  // null: a NodePool
    };
    std::vector<std::vector<Provider>> providers;
  };
  std::deque<scheduling::Requirements> provider_nodes_;  // owns Provider::node

  int Intern(Group g, std::string identity);
  // The group of a pod (anti-)affinity term of `owner`; -1 when its selector selects nothing.
  int InternTerm(TopologyType type, const api::PodAffinityTerm& term, const api::Pod& owner,
                 bool inverse);
  int KeyIndex(std::string_view key);
  bool Selects(const Group& g, const api::Pod& pod) const;
  bool NodeFilterMatches(const Group& g, const NodeView& node) const;
  bool DomainEligible(const Group& g, int domain) const;
  int32_t Count(const Group& g, int domain) const;
  int64_t SpreadMin(const Group& g, const scheduling::Requirement* pod_domains) const;
  void Bump(Group& g, int domain);
  // The node's possible domains for a keyed group (ids), or its slot for hostname.
  std::vector<int> NodeDomains(const Group& g, const NodeView& node) const;
  uint64_t NodeMask(const Group& g, const NodeView& node) const;
  uint64_t AllowedMask(const Group& g, bool self, const scheduling::Requirement* pod_domains,
                       bool* bootstrap) const;
  bool HostnameGroupAllows(const Group& g, bool self, int slot) const;
  uint64_t KeyMask(int key_index, const NodeView& node) const;
  uint64_t NextMask(const Group& g, const PodTopology& pt, int id,
                    const scheduling::Requirements& pod_reqs, const NodeView& node) const;
  template <typename F>
  static bool ForEachActive(const PodTopology& pt, const ActiveTerms& active, F&& f);
  bool SelfSelecting(const PodTopology& pt, int id) const;
  // One group's decision, as a requirement on its key (the general path; NextMask is the same on
  // bitmasks, AllowedMask its node-independent part, HostnameGroupAllows the hostname case).
  absl::StatusOr<scheduling::Requirement> Next(const Group& g, bool self,
                                               const scheduling::Requirements& pod_reqs,
                                               const NodeView& node) const;
  std::string DomainName(const Group& g, int domain) const;
  std::string Error(const Group& g, const scheduling::Requirement& pod_domains,
                    const NodeView& node) const;

  std::vector<Group> groups_;
  absl::flat_hash_map<std::string, int> by_identity_;
  std::vector<KeyDomains> keys_;
  std::vector<std::string> slot_names_;
  // Selector index: groups whose selector has a matchLabels pair, by "key=value" of its first
  // pair; other groups are always candidates.
  absl::flat_hash_map<std::string, std::vector<int>> by_label_;
  std::vector<int> unindexed_;
};

}  // namespace joinery::solver::internal
