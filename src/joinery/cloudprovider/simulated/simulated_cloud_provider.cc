#include "joinery/cloudprovider/simulated/simulated_cloud_provider.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <utility>

#include "joinery/common/hash.h"
#include "joinery/api/json.h"
#include "joinery/api/labels.h"
#include "joinery/api/validate.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "joinery/scheduling/requirements.h"

namespace joinery::cloudprovider::simulated {
namespace {

using Json = nlohmann::json;
using scheduling::Requirement;
using scheduling::Requirements;

std::string JsonString(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return "";
    auto it = cur->find(k);
    if (it == cur->end()) return "";
    cur = &*it;
  }
  return cur->is_string() ? cur->get<std::string>() : std::string();
}

bool Matches(const std::string& pattern, const std::string& value) {
  return pattern == "*" || pattern == value;
}

// The instance type's requirements as the scheduler sees them: its single-valued labels, the zones
// and capacity types of its offerings, and DoesNotExist for provider labels it lacks.
Requirements TypeRequirements(const InstanceType& it) {
  Requirements reqs = Requirements::FromLabels(it.labels);
  std::vector<std::string> zones, cts;
  for (const auto& o : it.offerings) {
    zones.push_back(o.zone);
    cts.push_back(o.capacity_type);
  }
  reqs.Add(Requirement::In(std::string(api::kLabelZone), zones));
  reqs.Add(Requirement::In(std::string(api::kLabelCapacityType), cts));
  for (std::string_view k : api::WellKnownLabels()) {
    if (k.starts_with("karpenter.k8s.aws/instance-") && !it.labels.contains(k) &&
        k != api::kLabelInstanceTenancy) {
      reqs.Add(Requirement::DoesNotExist(std::string(k)));
    }
  }
  return reqs;
}

bool OfferingCompatible(const Offering& o, const Requirements& reqs) {
  const Requirement* zone = reqs.Find(api::kLabelZone);
  if (zone != nullptr && !zone->Has(o.zone)) return false;
  const Requirement* ct = reqs.Find(api::kLabelCapacityType);
  if (ct != nullptr && !ct->Has(o.capacity_type)) return false;
  return true;
}

// GPU, Neuron, Gaudi or bare metal: launched only when nothing else fits (the AWS provider's
// exotic filter; the solver applies the same rule).
bool IsExotic(const InstanceType& it) {
  for (std::string_view r : {api::kResourceNvidiaGPU, api::kResourceAMDGPU, api::kResourceNeuron,
                             std::string_view("habana.ai/gaudi")}) {
    auto c = it.capacity.find(r);
    if (c != it.capacity.end() && !c->second.IsZero()) return true;
  }
  auto size = it.labels.find(api::kLabelInstanceSize);
  return size != it.labels.end() && Contains(size->second, "metal");
}

struct NodeClassView {
  // zone -> subnets (id, zoneID) in status order.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> subnets;
  std::map<std::string, std::string> ami_by_arch;  // arch -> image id (first listed wins)
};

NodeClassView ViewOf(const Json& node_class) {
  NodeClassView v;
  const Json status = node_class.value("status", Json::object());
  if (status.contains("subnets") && status["subnets"].is_array()) {
    for (const Json& s : status["subnets"]) {
      std::string zone = JsonString(s, {"zone"});
      if (zone.empty()) continue;
      v.subnets[zone].emplace_back(JsonString(s, {"id"}), JsonString(s, {"zoneID"}));
    }
  }
  if (status.contains("amis") && status["amis"].is_array()) {
    for (const Json& a : status["amis"]) {
      std::string id = JsonString(a, {"id"});
      std::vector<std::string> arches;
      if (a.contains("requirements") && a["requirements"].is_array()) {
        for (const Json& r : a["requirements"]) {
          if (JsonString(r, {"key"}) == api::kLabelArch && JsonString(r, {"operator"}) == "In" &&
              r.contains("values") && r["values"].is_array()) {
            for (const Json& val : r["values"]) {
              if (val.is_string()) arches.push_back(val.get<std::string>());
            }
          }
        }
      }
      if (arches.empty()) arches = {"amd64", "arm64"};  // no arch requirement: any
      for (const auto& arch : arches) v.ami_by_arch.emplace(arch, id);
    }
  }
  return v;
}

absl::StatusOr<ResourceList> ResourceListFromJson(const Json& j) {
  ResourceList out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) continue;
    ASSIGN_OR_RETURN(Quantity q, Quantity::Parse(v.get<std::string>()));
    out[k] = q;
  }
  return out;
}

// The NodeClaim view of an instance object: the NodeClaim it was launched for (name), its launch
// time (the object's creationTimestamp, set by the API server), the labels, providerID, image and
// resources of its Node.
absl::StatusOr<api::NodeClaim> NodeClaimFromInstance(const Json& obj) {
  api::NodeClaim nc;
  const Json info = InstanceRecord(obj);
  const Json node = InstanceNode(obj);
  nc.metadata.name = info.value("nodeClaim", std::string());
  nc.metadata.uid = info.value("nodeClaimUID", std::string());
  // The launch time, as EC2 reports it (the API server's creationTimestamp when not recorded).
  nc.metadata.creation_timestamp = info.value("launchTime", std::string());
  if (nc.metadata.creation_timestamp.empty()) {
    nc.metadata.creation_timestamp = JsonString(obj, {"metadata", "creationTimestamp"});
  }
  if (node.contains("metadata") && node["metadata"].contains("labels") &&
      node["metadata"]["labels"].is_object()) {
    for (const auto& [k, v] : node["metadata"]["labels"].items()) {
      if (v.is_string()) nc.metadata.labels[k] = v.get<std::string>();
    }
  }
  nc.status.provider_id = info.value("providerID", std::string());
  nc.status.image_id = info.value("imageID", std::string());
  nc.status.node_name = JsonString(node, {"metadata", "name"});
  if (node.contains("status")) {
    ASSIGN_OR_RETURN(nc.status.capacity, ResourceListFromJson(node["status"].value("capacity", Json())));
    ASSIGN_OR_RETURN(nc.status.allocatable,
                     ResourceListFromJson(node["status"].value("allocatable", Json())));
  }
  return nc;
}

bool Deleting(const Json& obj) {
  return obj.contains("metadata") && obj["metadata"].contains("deletionTimestamp");
}

// `node_claim` hydrated from the instance launched for it: resolved labels (the NodeClaim's own
// win), providerID, image, capacity and allocatable.
api::NodeClaim Hydrate(const api::NodeClaim& node_claim, const api::NodeClaim& instance) {
  api::NodeClaim out = node_claim;
  api::StringMap labels = instance.metadata.labels;
  labels.erase(std::string(api::kLabelHostname));
  labels.erase(std::string(kLabelSimulated));
  for (const auto& [k, v] : node_claim.metadata.labels) labels[k] = v;
  out.metadata.labels = std::move(labels);
  out.status.provider_id = instance.status.provider_id;
  out.status.image_id = instance.status.image_id;
  out.status.capacity = instance.status.capacity;
  out.status.allocatable = instance.status.allocatable;
  return out;
}

std::string OfferingName(const std::string& type, const std::string& zone, const std::string& ct) {
  return StrCat(type, "/", zone, "/", ct);
}

Json DataJson(const Json& obj, const char* key) {
  std::string raw = JsonString(obj, {"data", key});
  if (raw.empty()) return Json::object();
  Json j = Json::parse(raw, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : Json::object();
}

}  // namespace

// ---- Instance objects ----

std::string InstanceIdOf(std::string_view provider_id) {
  if (!provider_id.starts_with("aws:///")) return "";
  size_t slash = provider_id.rfind('/');
  std::string_view id = provider_id.substr(slash + 1);
  if (!id.starts_with("i-")) return "";
  return std::string(id);
}

std::string InstanceObjectName(std::string_view instance_id) {
  return StrCat("joinery-instance-", instance_id);
}

Json InstanceRecord(const Json& instance_object) { return DataJson(instance_object, "instance"); }
Json InstanceNode(const Json& instance_object) { return DataJson(instance_object, "node"); }

absl::Time InstanceBootTime(const Json& instance_object) {
  const Json info = InstanceRecord(instance_object);
  auto it = info.find("registerAfterUnixMillis");
  if (it == info.end() || !it->is_number_integer()) return absl::InfinitePast();
  return absl::FromUnixMillis(it->get<int64_t>());
}

Json RegisteringNode(const Json& instance_object, absl::Time now) {
  Json node = InstanceNode(instance_object);
  // Conditions as the kubelet posts them when it registers.
  const std::string ts = FormatRfc3339(now);
  auto cond = [&](const char* type, const char* status, const char* reason, const char* msg) {
    return Json{{"type", type},           {"status", status},
                {"reason", reason},       {"message", msg},
                {"lastHeartbeatTime", ts}, {"lastTransitionTime", ts}};
  };
  if (!node.contains("status") || !node["status"].is_object()) node["status"] = Json::object();
  node["status"]["conditions"] = Json::array(
      {cond("MemoryPressure", "False", "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available"),
       cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
       cond("PIDPressure", "False", "KubeletHasSufficientPID",
            "kubelet has sufficient PID available"),
       cond("Ready", "True", "KubeletReady", "kubelet is posting ready status")});
  return node;
}

// ---- Insufficient-capacity lists ----

absl::StatusOr<std::vector<UnavailableOffering>> ParseInsufficientCapacity(std::string_view spec) {
  std::vector<UnavailableOffering> out;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view entry = spec.substr(start, end - start);
    start = end + 1;
    while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) entry.remove_prefix(1);
    while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t' || entry.back() == '\r')) {
      entry.remove_suffix(1);
    }
    if (entry.empty()) continue;
    size_t c1 = entry.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : entry.find(':', c1 + 1);
    if (c2 == std::string_view::npos || entry.find(':', c2 + 1) != std::string_view::npos) {
      return absl::InvalidArgumentError(
          StrCat("insufficient-capacity entry \"", entry,
                 "\": want instance-type:zone:capacity-type (\"*\" for any)"));
    }
    UnavailableOffering o{std::string(entry.substr(0, c1)),
                          std::string(entry.substr(c1 + 1, c2 - c1 - 1)),
                          std::string(entry.substr(c2 + 1))};
    if (o.instance_type.empty() || o.zone.empty() || o.capacity_type.empty()) {
      return absl::InvalidArgumentError(
          StrCat("insufficient-capacity entry \"", entry, "\": empty field (use \"*\" for any)"));
    }
    out.push_back(std::move(o));
  }
  return out;
}

absl::StatusOr<std::vector<UnavailableOffering>> LoadInsufficientCapacityFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat("reading ", path, ": cannot open the file"));
  std::vector<UnavailableOffering> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    for (char& c : line) {
      if (c == ' ' || c == '\t') c = ',';
    }
    auto entries = ParseInsufficientCapacity(line);
    if (!entries.ok()) return Annotate(entries.status(), StrCat(path, ":", n));
    out.insert(out.end(), entries->begin(), entries->end());
  }
  return out;
}

// ---- SimulatedCloudProvider ----

SimulatedCloudProvider::SimulatedCloudProvider(kube::Client& client, Clock& clock,
                                               std::shared_ptr<const InstanceTypes> catalog,
                                               VpcInventory vpc, Options options)
    : client_(client),
      clock_(clock),
      catalog_(std::move(catalog)),
      vpc_(std::move(vpc)),
      options_(std::move(options)),
      rng_(options_.seed),
      injected_(options_.insufficient_capacity) {
  type_requirements_.reserve(catalog_->size());
  for (const InstanceType& it : *catalog_) {
    type_requirements_.push_back(TypeRequirements(it));
    exotic_.push_back(IsExotic(it));
  }
}

void SimulatedCloudProvider::InjectInsufficientCapacity(std::string instance_type, std::string zone,
                                                        std::string capacity_type) {
  std::lock_guard lock(mu_);
  injected_.push_back({std::move(instance_type), std::move(zone), std::move(capacity_type)});
}

void SimulatedCloudProvider::ClearInsufficientCapacity() {
  std::lock_guard lock(mu_);
  injected_.clear();
}

std::vector<UnavailableOffering> SimulatedCloudProvider::UnavailableOfferings() const {
  std::lock_guard lock(mu_);
  ExpireUnavailableLocked(clock_.Now());
  std::vector<UnavailableOffering> out;
  for (const auto& [key, expiry] : unavailable_) {
    out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key)});
  }
  return out;
}

bool SimulatedCloudProvider::Injected(const std::string& type, const std::string& zone,
                                      const std::string& ct) const {
  for (const auto& o : injected_) {
    if (Matches(o.instance_type, type) && Matches(o.zone, zone) && Matches(o.capacity_type, ct)) {
      return true;
    }
  }
  return false;
}

void SimulatedCloudProvider::ExpireUnavailableLocked(absl::Time now) const {
  for (auto it = unavailable_.begin(); it != unavailable_.end();) {
    it = it->second <= now ? unavailable_.erase(it) : std::next(it);
  }
}

bool SimulatedCloudProvider::UnavailableLocked(const OfferingKey& key) const {
  return unavailable_.contains(key);
}

std::string SimulatedCloudProvider::NodeNameFor(std::string_view instance_id) const {
  uint64_t h = Fnv1a64(instance_id);
  int a = static_cast<int>((h >> 16) & 0xff);
  int b = static_cast<int>((h >> 8) & 0xff);
  int c = 1 + static_cast<int>((h & 0xffff) % 254);
  std::string domain = options_.region == "us-east-1"
                           ? std::string("ec2.internal")
                           : StrCat(options_.region, ".compute.internal");
  return StrCat("ip-10-", a, "-", b, "-", c, ".", domain);
}

std::string SimulatedCloudProvider::NewInstanceId() {
  std::lock_guard lock(mu_);
  for (;;) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "i-0%016llx", static_cast<unsigned long long>(rng_()));
    if (issued_ids_.insert(buf).second) return buf;
  }
}

absl::StatusOr<std::optional<Json>> SimulatedCloudProvider::FindLaunched(
    const api::NodeClaim& node_claim) {
  kube::ListOptions opts;
  opts.label_selector = StrCat(kLabelInstance, "=true");
  if (api::IsValidLabelValue(node_claim.metadata.name)) {
    opts.label_selector += StrCat(",", kLabelNodeClaim, "=", node_claim.metadata.name);
  }
  auto list = client_.List(kube::resources::ConfigMaps(), options_.instance_namespace, opts);
  if (!list.ok()) return Annotate(list.status(), "looking for an instance launched already");
  if (!list->contains("items") || !(*list)["items"].is_array()) return std::optional<Json>();
  for (Json& obj : (*list)["items"]) {
    if (Deleting(obj)) continue;
    const Json info = InstanceRecord(obj);
    if (info.value("nodeClaim", std::string()) != node_claim.metadata.name) continue;
    const std::string uid = info.value("nodeClaimUID", std::string());
    if (!uid.empty() && !node_claim.metadata.uid.empty() && uid != node_claim.metadata.uid) continue;
    return std::optional<Json>(std::move(obj));
  }
  return std::optional<Json>();
}

absl::StatusOr<Json> SimulatedCloudProvider::ReadyNodeClass(std::string_view name) const {
  auto nc = client_.Get(kube::resources::EC2NodeClasses(), "", name);
  if (!nc.ok()) {
    if (kube::IsNotFound(nc.status())) {
      return absl::FailedPreconditionError(
          StrCat("resolving node class, ec2nodeclasses.karpenter.k8s.aws \"", name, "\" not found"));
    }
    return Annotate(nc.status(), "resolving node class");
  }
  int64_t generation = 0;
  if (auto g = nc->find("metadata"); g != nc->end() && g->contains("generation") &&
                                     (*g)["generation"].is_number_integer()) {
    generation = (*g)["generation"].get<int64_t>();
  }
  const Json* ready = nullptr;
  if (nc->contains("status") && (*nc)["status"].contains("conditions") &&
      (*nc)["status"]["conditions"].is_array()) {
    for (const Json& c : (*nc)["status"]["conditions"]) {
      if (JsonString(c, {"type"}) == "Ready") ready = &c;
    }
  }
  if (ready == nullptr || JsonString(*ready, {"status"}) == "Unknown") {
    return absl::FailedPreconditionError(
        StrCat("resolving NodeClass readiness, EC2NodeClass \"", name,
               "\" is in Ready=Unknown", ready ? StrCat(", ", JsonString(*ready, {"message"})) : ""));
  }
  if (JsonString(*ready, {"status"}) != "True") {
    return absl::FailedPreconditionError(StrCat("EC2NodeClass \"", name, "\" is not ready: ",
                                                JsonString(*ready, {"message"})));
  }
  int64_t observed = ready->value("observedGeneration", int64_t{0});
  if (observed != 0 && generation != 0 && observed != generation) {
    return absl::FailedPreconditionError(
        StrCat("resolving NodeClass readiness, EC2NodeClass \"", name,
               "\" status is stale (observedGeneration ", observed, ", generation ", generation,
               ")"));
  }
  return nc;
}

absl::StatusOr<api::NodeClaim> SimulatedCloudProvider::Create(const api::NodeClaim& node_claim) {
  const std::string context = StrCat("creating instance for nodeclaim ", node_claim.metadata.name);
  // One instance per NodeClaim: a launch that happened already (by this or another replica) is
  // returned, not repeated.
  auto launched = FindLaunched(node_claim);
  if (!launched.ok()) return Annotate(launched.status(), context);
  if (*launched) {
    ASSIGN_OR_RETURN(api::NodeClaim instance, NodeClaimFromInstance(**launched));
    return Hydrate(node_claim, instance);
  }
  auto node_class = ReadyNodeClass(node_claim.spec.node_class_ref.name);
  if (!node_class.ok()) return Annotate(node_class.status(), context);
  const NodeClassView view = ViewOf(*node_class);

  auto reqs_or = Requirements::FromSelector(node_claim.spec.requirements);
  if (!reqs_or.ok()) return Annotate(reqs_or.status(), context);
  const Requirements& reqs = *reqs_or;
  const ResourceList& requests = node_claim.spec.resource_requests;

  struct Candidate {
    const InstanceType* it;
    bool exotic;
    std::vector<const Offering*> offerings;  // available, compatible, in a subnet zone
  };
  std::vector<Candidate> candidates;
  bool any_fitting = false;
  {
    std::lock_guard lock(mu_);
    ExpireUnavailableLocked(clock_.Now());
    for (size_t i = 0; i < catalog_->size(); ++i) {
      const InstanceType& it = (*catalog_)[i];
      auto arch = it.labels.find(api::kLabelArch);
      if (arch == it.labels.end() || !view.ami_by_arch.contains(arch->second)) continue;
      if (!type_requirements_[i].Intersects(reqs).ok()) continue;
      if (!Fits(requests, it.Allocatable())) continue;
      Candidate c{&it, exotic_[i], {}};
      bool in_zone = false;
      for (const Offering& o : it.offerings) {
        if (!view.subnets.contains(o.zone) || !OfferingCompatible(o, reqs)) continue;
        in_zone = true;
        if (!o.available || UnavailableLocked({it.name, o.zone, o.capacity_type})) continue;
        c.offerings.push_back(&o);
      }
      any_fitting = any_fitting || in_zone;
      if (!c.offerings.empty()) candidates.push_back(std::move(c));
    }
  }
  if (candidates.empty()) {
    if (any_fitting) {
      return absl::ResourceExhaustedError(
          StrCat(context, ": all requested instance types were unavailable during launch"));
    }
    return absl::InvalidArgumentError(
        StrCat(context, ": no instance type satisfies requirements [", reqs.ToString(),
               "] and requests [", ResourceListToString(requests), "] in the zones of the node class"));
  }
  // Exotic filter: drop GPU/accelerator/metal types when anything else remains.
  if (std::any_of(candidates.begin(), candidates.end(),
                  [](const Candidate& c) { return !c.exotic; })) {
    std::erase_if(candidates, [](const Candidate& c) { return c.exotic; });
  }
  // Capacity type: reserved, then spot, then on-demand.
  std::string capacity_type;
  for (std::string_view ct :
       {api::kCapacityTypeReserved, api::kCapacityTypeSpot, api::kCapacityTypeOnDemand}) {
    for (const Candidate& c : candidates) {
      for (const Offering* o : c.offerings) {
        if (o->capacity_type == ct) capacity_type = std::string(ct);
      }
    }
    if (!capacity_type.empty()) break;
  }
  if (capacity_type.empty()) {
    // Only other capacity types (none Joinery knows): take the first offering's.
    capacity_type = candidates.front().offerings.front()->capacity_type;
  }
  double cheapest_on_demand = std::numeric_limits<double>::infinity();
  for (const Candidate& c : candidates) {
    for (const Offering* o : c.offerings) {
      if (o->capacity_type == api::kCapacityTypeOnDemand) {
        cheapest_on_demand = std::min(cheapest_on_demand, o->price);
      }
    }
  }
  struct Choice {
    const InstanceType* it;
    const Offering* o;
  };
  std::vector<Choice> choices;
  for (const Candidate& c : candidates) {
    for (const Offering* o : c.offerings) {
      if (o->capacity_type != capacity_type) continue;
      // Spot-offering filter: spot pricier than the cheapest on-demand offering is not worth it.
      if (capacity_type == api::kCapacityTypeSpot && o->price > cheapest_on_demand) continue;
      choices.push_back({c.it, o});
    }
  }
  std::sort(choices.begin(), choices.end(), [](const Choice& a, const Choice& b) {
    if (a.o->price != b.o->price) return a.o->price < b.o->price;
    if (a.it->name != b.it->name) return a.it->name < b.it->name;
    return a.o->zone < b.o->zone;
  });

  std::optional<Choice> chosen;
  std::vector<std::string> failed;
  std::string instance_id;
  {
    std::lock_guard lock(mu_);
    const absl::Time now = clock_.Now();
    for (const Choice& c : choices) {
      if (Injected(c.it->name, c.o->zone, c.o->capacity_type)) {
        unavailable_[{c.it->name, c.o->zone, c.o->capacity_type}] = now + kUnavailableOfferingTTL;
        failed.push_back(OfferingName(c.it->name, c.o->zone, c.o->capacity_type));
        continue;
      }
      chosen = c;
      break;
    }
  }
  if (!chosen) {
    return absl::ResourceExhaustedError(StrCat(
        context, ": insufficient capacity, InsufficientInstanceCapacity for offerings ",
        StrJoin(failed, ", "), ": all requested instance types were unavailable during launch"));
  }

  // A fresh instance ID whose Node name is not taken (by another instance, or a Node that is still
  // being removed).
  for (int attempt = 0;; ++attempt) {
    if (attempt == 100) {
      return absl::UnavailableError(
          StrCat(context, ": could not find an unused instance ID after 100 attempts"));
    }
    instance_id = NewInstanceId();
    auto existing = client_.Get(kube::resources::Nodes(), "", NodeNameFor(instance_id));
    if (existing.ok()) continue;
    if (!kube::IsNotFound(existing.status())) return Annotate(existing.status(), context);
    break;
  }
  const InstanceType& it = *chosen->it;
  const Offering& offering = *chosen->o;
  const std::string& zone = offering.zone;
  // Subnet: the one in the zone with the most available IPs (then the first listed).
  std::string subnet_id, zone_id;
  int64_t best_ips = -1;
  for (const auto& [id, zid] : view.subnets.at(zone)) {
    const Subnet* s = vpc_.FindSubnet(id);
    int64_t ips = s != nullptr ? s->available_ips : 0;
    if (ips > best_ips) {
      best_ips = ips;
      subnet_id = id;
      zone_id = zid;
    }
  }
  const std::string& image_id = view.ami_by_arch.at(it.labels.at(std::string(api::kLabelArch)));
  const std::string provider_id = StrCat("aws:///", zone, "/", instance_id);
  const std::string node_name = NodeNameFor(instance_id);
  const absl::Time now = clock_.Now();

  api::NodeClaim out = node_claim;
  api::StringMap labels = it.labels;
  labels[std::string(api::kLabelZone)] = zone;
  labels[std::string(api::kLabelRegion)] = options_.region;
  labels[std::string(api::kLabelCapacityType)] = offering.capacity_type;
  if (!zone_id.empty()) labels[std::string(api::kLabelZoneID)] = zone_id;
  for (const auto& [k, v] : node_claim.metadata.labels) labels[k] = v;  // the NodeClaim's win
  out.metadata.labels = labels;
  out.status.provider_id = provider_id;
  out.status.image_id = image_id;
  out.status.capacity = it.capacity;
  out.status.allocatable = it.Allocatable();

  // The Node the kubelet will register.
  Json node_labels = Json::object();
  for (const auto& [k, v] : labels) node_labels[k] = v;
  node_labels[std::string(api::kLabelHostname)] = node_name;
  node_labels[std::string(kLabelSimulated)] = "true";
  std::vector<api::Taint> taints = node_claim.spec.taints;
  for (const api::Taint& t : node_claim.spec.startup_taints) {
    if (std::find(taints.begin(), taints.end(), t) == taints.end()) taints.push_back(t);
  }
  api::Taint unregistered{std::string(api::kTaintUnregistered), "", "NoExecute"};
  if (std::find(taints.begin(), taints.end(), unregistered) == taints.end()) {
    taints.push_back(unregistered);
  }
  Json record = {{"instanceID", instance_id},
                 {"providerID", provider_id},
                 {"instanceType", it.name},
                 {"zone", zone},
                 {"zoneID", zone_id},
                 {"capacityType", offering.capacity_type},
                 {"imageID", image_id},
                 {"subnetID", subnet_id},
                 {"launchTime", FormatRfc3339(now)},
                 {"registerAfterUnixMillis", absl::ToUnixMillis(now + options_.registration_delay)},
                 {"nodeClaim", node_claim.metadata.name},
                 {"nodeClaimUID", node_claim.metadata.uid},
                 {"price", offering.price}};
  uint64_t h = Fnv1a64(instance_id);
  std::string ip = StrCat("10.", (h >> 16) & 0xff, ".", (h >> 8) & 0xff, ".",
                          1 + (h & 0xffff) % 254);
  const std::string& arch = it.labels.at(std::string(api::kLabelArch));
  auto os = it.labels.find(api::kLabelOS);
  Json node = {
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata",
       {{"name", node_name},
        {"labels", node_labels},
        {"annotations", {{std::string(kAnnotationInstance), record.dump()}}}}},
      {"spec", {{"providerID", provider_id}, {"taints", api::TaintsToJson(taints)}}},
      {"status",
       {{"capacity", api::ResourceListToJson(it.capacity)},
        {"allocatable", api::ResourceListToJson(out.status.allocatable)},
        {"addresses",
         Json::array({{{"type", "InternalIP"}, {"address", ip}},
                      {{"type", "InternalDNS"}, {"address", node_name}},
                      {{"type", "Hostname"}, {"address", node_name}}})},
        {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", 10250}}}}},
        {"nodeInfo",
         {{"machineID", instance_id},
          {"systemUUID", instance_id},
          {"bootID", instance_id},
          {"kernelVersion", "6.1.0-joinery"},
          {"osImage", "Joinery simulated instance"},
          {"containerRuntimeVersion", "containerd://1.7.0"},
          {"kubeletVersion", options_.kubelet_version},
          {"kubeProxyVersion", options_.kubelet_version},
          {"operatingSystem", os != it.labels.end() ? os->second : std::string("linux")},
          {"architecture", arch}}}}}};

  Json obj_labels = {{std::string(kLabelInstance), "true"}};
  if (api::IsValidLabelValue(node_claim.metadata.name)) {
    obj_labels[std::string(kLabelNodeClaim)] = node_claim.metadata.name;
  }
  if (auto pool = node_claim.metadata.labels.find(api::kLabelNodePool);
      pool != node_claim.metadata.labels.end() && api::IsValidLabelValue(pool->second)) {
    obj_labels[std::string(api::kLabelNodePool)] = pool->second;
  }
  Json obj = {{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata",
               {{"name", InstanceObjectName(instance_id)},
                {"namespace", options_.instance_namespace},
                {"labels", obj_labels}}},
              {"data", {{"instance", record.dump()}, {"node", node.dump()}}}};
  auto created = client_.Create(kube::resources::ConfigMaps(), options_.instance_namespace, obj);
  if (!created.ok()) return Annotate(created.status(), StrCat(context, ": launching ", instance_id));
  return out;
}

absl::Status SimulatedCloudProvider::Delete(const api::NodeClaim& node_claim) {
  const std::string& provider_id = node_claim.status.provider_id;
  const std::string context = StrCat("deleting instance for nodeclaim ", node_claim.metadata.name);
  if (provider_id.empty()) {
    return absl::NotFoundError(StrCat(context, ": the nodeclaim has no providerID"));
  }
  const std::string id = InstanceIdOf(provider_id);
  if (id.empty()) {
    return absl::NotFoundError(
        StrCat(context, ": instance \"", provider_id, "\" not found: not a simulated provider ID"));
  }
  absl::Status s =
      client_.Delete(kube::resources::ConfigMaps(), options_.instance_namespace, InstanceObjectName(id));
  if (kube::IsNotFound(s)) {
    return absl::NotFoundError(StrCat(context, ": instance \"", provider_id, "\" not found"));
  }
  if (!s.ok()) return Annotate(s, context);
  // The instance is gone; so is its Node (the cloud-controller-manager's job on a real cluster).
  // The kubelet stops with the instance, so nothing re-creates it.
  const std::string node_name = NodeNameFor(id);
  auto node = client_.Get(kube::resources::Nodes(), "", node_name);
  if (node.ok() && JsonString(*node, {"spec", "providerID"}) == provider_id &&
      !Deleting(*node)) {
    kube::DeleteOptions opts;
    opts.precondition_uid = JsonString(*node, {"metadata", "uid"});
    absl::Status ds = client_.Delete(kube::resources::Nodes(), "", node_name, opts);
    if (!ds.ok() && !kube::IsNotFound(ds) && !kube::IsConflict(ds)) {
      return Annotate(ds, StrCat(context, ": deleting node ", node_name));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<api::NodeClaim> SimulatedCloudProvider::Get(std::string_view provider_id) {
  const std::string id = InstanceIdOf(provider_id);
  if (id.empty()) {
    return absl::NotFoundError(
        StrCat("instance \"", provider_id, "\" not found: not a simulated provider ID"));
  }
  auto obj = client_.Get(kube::resources::ConfigMaps(), options_.instance_namespace,
                         InstanceObjectName(id));
  if (!obj.ok()) {
    if (kube::IsNotFound(obj.status())) {
      return absl::NotFoundError(StrCat("instance \"", provider_id, "\" not found"));
    }
    return Annotate(obj.status(), StrCat("getting instance ", provider_id));
  }
  if (Deleting(*obj) || InstanceRecord(*obj).value("providerID", std::string()) != provider_id) {
    return absl::NotFoundError(StrCat("instance \"", provider_id, "\" not found"));
  }
  return NodeClaimFromInstance(*obj);
}

absl::StatusOr<std::vector<api::NodeClaim>> SimulatedCloudProvider::List() {
  kube::ListOptions opts;
  opts.label_selector = StrCat(kLabelInstance, "=true");
  auto list = client_.List(kube::resources::ConfigMaps(), options_.instance_namespace, opts);
  if (!list.ok()) return Annotate(list.status(), "listing simulated instances");
  std::vector<api::NodeClaim> out;
  if (list->contains("items") && (*list)["items"].is_array()) {
    for (const Json& obj : (*list)["items"]) {
      if (Deleting(obj)) continue;
      ASSIGN_OR_RETURN(api::NodeClaim nc, NodeClaimFromInstance(obj));
      out.push_back(std::move(nc));
    }
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const InstanceTypes>> SimulatedCloudProvider::GetInstanceTypes(
    const api::NodePool& node_pool) {
  const std::string& name = node_pool.template_.spec.node_class_ref.name;
  auto node_class = ReadyNodeClass(name);
  if (!node_class.ok()) {
    {
      std::lock_guard lock(mu_);
      if (auto gone = types_cache_.find(name); gone != types_cache_.end()) types_cache_.erase(gone);
    }
    return Annotate(node_class.status(),
                    StrCat("getting instance types for nodepool ", node_pool.metadata.name));
  }
  const NodeClassView view = ViewOf(*node_class);
  TypesCacheEntry built;
  for (const auto& [zone, subnets] : view.subnets) built.zones.insert(zone);
  for (const auto& [arch, image] : view.ami_by_arch) built.arches.insert(arch);
  {
    std::lock_guard lock(mu_);
    ExpireUnavailableLocked(clock_.Now());
    for (const auto& [key, expiry] : unavailable_) built.unavailable.insert(key);
    auto cached = types_cache_.find(name);
    if (cached != types_cache_.end() && cached->second.zones == built.zones &&
        cached->second.arches == built.arches && cached->second.unavailable == built.unavailable) {
      return cached->second.types;
    }
  }
  const std::set<OfferingKey>& unavailable = built.unavailable;
  auto out = std::make_shared<InstanceTypes>();
  out->reserve(catalog_->size());
  for (const InstanceType& it : *catalog_) {
    auto arch = it.labels.find(api::kLabelArch);
    if (arch == it.labels.end() || !view.ami_by_arch.contains(arch->second)) continue;
    InstanceType copy = it;
    std::erase_if(copy.offerings, [&](const Offering& o) { return !view.subnets.contains(o.zone); });
    for (Offering& o : copy.offerings) {
      if (unavailable.contains({it.name, o.zone, o.capacity_type})) o.available = false;
    }
    out->push_back(std::move(copy));
  }
  built.types = std::move(out);
  std::lock_guard lock(mu_);
  types_cache_[name] = built;
  return built.types;
}

}  // namespace joinery::cloudprovider::simulated
