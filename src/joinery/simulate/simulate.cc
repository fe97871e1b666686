#include "joinery/simulate/simulate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "joinery/api/decode.h"
#include "joinery/api/labels.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "joinery/snapshot/builder.h"

namespace joinery::simulate {
namespace {

using json = nlohmann::ordered_json;

// An object's namespace as the API server would default it.
std::string NamespaceOf(const api::ObjectMeta& meta) { return std::string(meta.NamespaceOrDefault()); }

api::Pod PodFromTemplate(const api::PodTemplateSpec& t, const api::ObjectMeta& owner,
                         std::string_view kind, int ordinal, const api::Source& source) {
  api::Pod p;
  p.metadata = t.metadata;
  p.metadata.name = StrCat(owner.name, "-", ordinal);
  p.metadata.namespace_ = NamespaceOf(owner);
  p.metadata.creation_timestamp = owner.creation_timestamp;
  p.metadata.owner_references = {{.api_version = kind == "Job" ? "batch/v1" : "apps/v1",
                                  .kind = std::string(kind),
                                  .name = owner.name,
                                  .uid = owner.uid,
                                  .controller = true}};
  p.spec = t.spec;
  p.source = source;
  return p;
}

// The claim the StatefulSet controller creates from template `t` for the pod of `ordinal`
// (Kubernetes' getPersistentVolumeClaimName).
std::string StatefulSetClaimName(const api::PersistentVolumeClaim& t, const api::StatefulSet& s,
                                 int ordinal) {
  return StrCat(t.metadata.name, "-", s.metadata.name, "-", ordinal);
}

// The StatefulSet controller's updateStorage: each volumeClaimTemplate becomes a volume of the
// template's name mounting the ordinal's claim, replacing a template volume of that name. Claim
// volumes come first, in template order (Kubernetes uses map order), then the remaining volumes.
void AddStatefulSetVolumes(const api::StatefulSet& s, int ordinal, api::Pod& pod) {
  if (s.volume_claim_templates.empty()) return;
  std::vector<api::Volume> volumes;
  volumes.reserve(s.volume_claim_templates.size() + pod.spec.volumes.size());
  std::set<std::string_view> claimed;
  for (const api::PersistentVolumeClaim& t : s.volume_claim_templates) {
    // Validation rejects repeated template names; should one slip through, mount it once.
    if (!claimed.insert(t.metadata.name).second) continue;
    api::Volume v;
    v.name = t.metadata.name;
    v.pvc_claim_name = StatefulSetClaimName(t, s, ordinal);
    volumes.push_back(std::move(v));
  }
  for (api::Volume& v : pod.spec.volumes) {
    if (!claimed.contains(v.name)) volumes.push_back(std::move(v));
  }
  pod.spec.volumes = std::move(volumes);
}

// Pods the plan places, on new NodeClaims and on existing capacity.
size_t ScheduledPodCount(const solver::Plan& plan) {
  size_t placed = 0;
  for (const auto& nc : plan.node_claims) placed += nc.pods.size();
  for (const auto& e : plan.existing_nodes) placed += e.pods.size();
  return placed;
}

double RoundPrice(double v) { return std::round(v * 1e6) / 1e6; }

std::string FormatPrice(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "$%.4f", v);
  return buf;
}

json ResourcesJson(const ResourceList& r) {
  json o = json::object();
  for (const auto& [k, q] : r) o[k] = q.ToString();
  return o;
}

json TaintsJson(const std::vector<api::Taint>& taints) {
  json a = json::array();
  for (const auto& t : taints) {
    json o = {{"key", t.key}};
    if (!t.value.empty()) o["value"] = t.value;
    o["effect"] = t.effect;
    a.push_back(std::move(o));
  }
  return a;
}

// Prints rows as kubectl does: columns left-aligned, separated by three spaces.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(width[i] - r[i].size() + 3, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

absl::Status CheckPodCount(const api::Manifests& m) {
  int64_t total = static_cast<int64_t>(m.pods.size());
  auto add = [&](int64_t n, const api::Source& src, std::string_view kind,
                 const api::ObjectMeta& meta, std::string_view field) -> absl::Status {
    total += std::max<int64_t>(n, 0);
    if (total <= kMaxSimulatedPods) return absl::OkStatus();
    return absl::InvalidArgumentError(
        StrCat(src.file, ": ", kind, "/", NamespaceOf(meta),
               "/", meta.name, ": ", field, ": the input would create ", total,
               " pods or more; simulate handles at most ", kMaxSimulatedPods));
  };
  for (const auto& d : m.deployments)
    RETURN_IF_ERROR(add(d.replicas, d.source, "Deployment", d.metadata, "spec.replicas"));
  for (const auto& r : m.replica_sets)
    RETURN_IF_ERROR(add(r.replicas, r.source, "ReplicaSet", r.metadata, "spec.replicas"));
  for (const auto& st : m.stateful_sets)
    RETURN_IF_ERROR(add(st.replicas, st.source, "StatefulSet", st.metadata, "spec.replicas"));
  for (const auto& j : m.jobs)
    RETURN_IF_ERROR(add(j.parallelism, j.source, "Job", j.metadata, "spec.parallelism"));
  return absl::OkStatus();
}

std::vector<api::Pod> ExpandWorkloads(const api::Manifests& m) {
  std::vector<api::Pod> pods;
  for (const auto& d : m.deployments) {
    for (int i = 0; i < d.replicas; ++i)
      pods.push_back(PodFromTemplate(d.template_, d.metadata, "Deployment", i, d.source));
  }
  for (const auto& r : m.replica_sets) {
    for (int i = 0; i < r.replicas; ++i)
      pods.push_back(PodFromTemplate(r.template_, r.metadata, "ReplicaSet", i, r.source));
  }
  for (const auto& s : m.stateful_sets) {
    for (int i = 0; i < s.replicas; ++i) {
      pods.push_back(PodFromTemplate(s.template_, s.metadata, "StatefulSet", i, s.source));
      AddStatefulSetVolumes(s, i, pods.back());
    }
  }
  for (const auto& j : m.jobs) {
    int n = j.parallelism;
    if (j.completions) n = std::min(n, *j.completions);
    for (int i = 0; i < n; ++i)
      pods.push_back(PodFromTemplate(j.template_, j.metadata, "Job", i, j.source));
  }
  return pods;
}

std::vector<api::PersistentVolumeClaim> StatefulSetClaims(const api::Manifests& m) {
  std::set<std::string, std::less<>> existing;  // "namespace/name"
  for (const auto& c : m.persistent_volume_claims) {
    existing.insert(StrCat(NamespaceOf(c.metadata), "/", c.metadata.name));
  }
  std::vector<api::PersistentVolumeClaim> claims;
  for (const auto& s : m.stateful_sets) {
    std::string ns = NamespaceOf(s.metadata);
    for (int i = 0; i < s.replicas; ++i) {
      for (const api::PersistentVolumeClaim& t : s.volume_claim_templates) {
        std::string name = StatefulSetClaimName(t, s, i);
        if (!existing.insert(StrCat(ns, "/", name)).second) continue;  // reused, not created
        api::PersistentVolumeClaim c;
        c.metadata = t.metadata;
        c.metadata.name = std::move(name);
        c.metadata.namespace_ = ns;
        // The controller adds the selector's matchLabels to the template's labels (they win).
        if (s.selector.has_value()) {
          for (const auto& [k, v] : s.selector->match_labels) {
            c.metadata.labels.insert_or_assign(k, v);
          }
        }
        c.spec = t.spec;
        c.phase = "Pending";
        c.source = s.source;
        claims.push_back(std::move(c));
      }
    }
  }
  return claims;
}

solver::Snapshot BuildSnapshot(const api::Manifests& m,
                               std::shared_ptr<const cloudprovider::InstanceTypes> instance_types,
                               const solver::Options& options, std::vector<std::string>* warnings) {
  std::vector<api::Pod> all = m.pods;
  std::vector<api::Pod> expanded = ExpandWorkloads(m);
  all.insert(all.end(), std::make_move_iterator(expanded.begin()),
             std::make_move_iterator(expanded.end()));
  std::vector<api::PersistentVolumeClaim> created = StatefulSetClaims(m);

  // The same builder as the controller's, fed from the manifests.
  snapshot::Objects objects;
  auto pointers = [](const auto& values, auto& out) {
    for (const auto& v : values) out.push_back(&v);
  };
  pointers(m.nodes, objects.nodes);
  pointers(m.node_claims, objects.node_claims);
  pointers(m.daemon_sets, objects.daemon_sets);
  pointers(m.persistent_volume_claims, objects.persistent_volume_claims);
  pointers(created, objects.persistent_volume_claims);
  pointers(m.persistent_volumes, objects.persistent_volumes);
  pointers(m.storage_classes, objects.storage_classes);
  pointers(m.csi_nodes, objects.csi_nodes);
  pointers(m.pod_disruption_budgets, objects.pod_disruption_budgets);
  snapshot::Inputs in;
  for (const auto& np : m.node_pools) {
    // A NodePool whose status (as exported from a cluster) says it is not Ready does not
    // provision, as in Karpenter; one without status is taken as ready.
    auto ready = std::find_if(np.status_conditions.begin(), np.status_conditions.end(),
                              [](const api::Condition& c) { return c.type == "Ready"; });
    if (ready != np.status_conditions.end() && ready->status != "True") {
      if (warnings != nullptr) {
        warnings->push_back(StrCat("NodePool ", np.metadata.name, " is not ready (status Ready=",
                                   ready->status, ready->reason.empty() ? "" : ", ", ready->reason,
                                   "); not provisioning from it"));
      }
      continue;
    }
    in.node_pools.push_back(np);
  }
  in.instance_types = std::move(instance_types);
  in.options = options;
  for (const auto& p : all) {
    if (!p.spec.node_name.empty()) objects.bound_pods.push_back(&p);
    if (snapshot::IsOwnedByDaemonSet(p)) objects.daemon_set_pods.push_back(&p);
  }
  // Pending: every pod not bound to a node, not finished, not terminating and not a DaemonSet's
  // (the input says what should run; there is no kube-scheduler verdict to wait for).
  for (auto& p : all) {
    if (!p.spec.node_name.empty() || snapshot::IsTerminal(p) || snapshot::IsOwnedByDaemonSet(p) ||
        p.metadata.deletion_timestamp.has_value()) {
      continue;  // terminating pods are not provisioned for
    }
    in.pending.push_back(p);
  }
  solver::Snapshot s = snapshot::Build(objects, std::move(in), warnings);

  if (warnings != nullptr && !m.node_classes.empty()) {
    for (const auto& np : m.node_pools) {
      const auto& ref = np.template_.spec.node_class_ref;
      bool found =
          std::any_of(m.node_classes.begin(), m.node_classes.end(),
                      [&](const api::EC2NodeClass& c) { return c.metadata.name == ref.name; });
      if (!found && ref.kind == "EC2NodeClass") {
        warnings->push_back(StrCat("NodePool ", np.metadata.name, " references EC2NodeClass ",
                                   ref.name,
                                   ", which is not in the input; simulating as if it were ready"));
      }
    }
  }
  return s;
}

absl::StatusOr<Simulation> Run(const SimulateOptions& options) {
  Simulation sim;
  api::DecodeOptions dopts;
  for (const auto& [k, v] : options.env) dopts.env.emplace(k, v);
  ASSIGN_OR_RETURN(sim.manifests, api::LoadManifests(options.paths, dopts));
  RETURN_IF_ERROR(CheckPodCount(sim.manifests));
  cloudprovider::InstanceTypes catalog;
  if (!options.instance_types_file.empty()) {
    ASSIGN_OR_RETURN(catalog,
                     cloudprovider::LoadCatalogFile(options.instance_types_file, options.catalog));
  } else {
    ASSIGN_OR_RETURN(catalog, cloudprovider::EmbeddedCatalog(options.catalog));
  }
  auto shared = std::make_shared<const cloudprovider::InstanceTypes>(std::move(catalog));
  sim.snapshot = BuildSnapshot(sim.manifests, shared, options.solver, &sim.warnings);
  ASSIGN_OR_RETURN(sim.plan, solver::Solve(sim.snapshot));
  sim.spot_discount = options.catalog.spot_discount;
  for (const auto& nc : sim.plan.node_claims) sim.any_spot |= nc.launch.price_simulated;
  return sim;
}

std::string RenderJson(const Simulation& sim) {
  const solver::Plan& plan = sim.plan;
  json out;
  json claims = json::array();
  for (const auto& nc : plan.node_claims) {
    json c;
    c["name"] = nc.name;
    c["nodePool"] = nc.node_pool;
    c["nodeClass"] = nc.node_class_ref.name;
    c["instanceType"] = nc.launch.instance_type;
    c["capacityType"] = nc.launch.capacity_type;
    c["zone"] = nc.launch.zone;
    c["price"] = RoundPrice(nc.launch.price);
    c["priceSimulated"] = nc.launch.price_simulated;
    if (nc.launch.price_simulated) {
      c["priceNote"] = StrCat("simulated spot price: on-demand list price x ",
                              RoundPrice(1 - sim.spot_discount));
    }
    c["instanceTypeOptions"] = nc.instance_type_options;
    json labels = json::object();
    for (const auto& [k, v] : nc.labels) labels[k] = v;
    c["labels"] = std::move(labels);
    c["taints"] = TaintsJson(nc.taints);
    c["startupTaints"] = TaintsJson(nc.startup_taints);
    c["pods"] = nc.pods;
    c["requests"] = ResourcesJson(nc.requests);
    c["capacity"] = ResourcesJson(nc.capacity);
    c["allocatable"] = ResourcesJson(nc.allocatable);
    json reqs = json::array();
    for (const auto& r : nc.requirements) {
      json o = {{"key", r.key}, {"operator", r.operator_}};
      if (!r.values.empty() || r.operator_ == "In" || r.operator_ == "NotIn")
        o["values"] = r.values;
      if (r.min_values) o["minValues"] = *r.min_values;
      reqs.push_back(std::move(o));
    }
    c["requirements"] = std::move(reqs);
    if (nc.min_values_relaxed) c["minValuesRelaxed"] = true;
    claims.push_back(std::move(c));
  }
  out["nodeClaims"] = std::move(claims);
  json existing = json::array();
  for (const auto& e : plan.existing_nodes) {
    existing.push_back(
        {{"name", e.name}, {"kind", e.is_node_claim ? "NodeClaim" : "Node"}, {"pods", e.pods}});
  }
  out["existingNodes"] = std::move(existing);
  json unsched = json::array();
  for (const auto& u : plan.unschedulable)
    unsched.push_back({{"pod", u.pod}, {"reason", u.reason}});
  out["unschedulable"] = std::move(unsched);
  size_t placed = ScheduledPodCount(plan);
  out["cost"] = {{"perHour", RoundPrice(plan.cost_per_hour)},
                 {"currency", "USD"},
                 {"includesSimulatedSpotPrices", sim.any_spot}};
  out["summary"] = {{"pods", sim.snapshot.pods.size()},
                    {"scheduled", placed},
                    {"unschedulable", plan.unschedulable.size()},
                    {"nodeClaims", plan.node_claims.size()}};
  out["warnings"] = sim.warnings;
  return out.dump(2) + "\n";
}

std::string RenderTable(const Simulation& sim) {
  const solver::Plan& plan = sim.plan;
  std::string out;
  if (plan.node_claims.empty()) {
    out += "No new nodes needed.\n";
  } else {
    std::vector<std::vector<std::string>> rows = {{"NODECLAIM", "NODEPOOL", "INSTANCE-TYPE",
                                                   "CAPACITY", "ZONE", "PRICE/HR", "OPTIONS",
                                                   "PODS"}};
    for (const auto& nc : plan.node_claims) {
      rows.push_back({nc.name, nc.node_pool, nc.launch.instance_type, nc.launch.capacity_type,
                      nc.launch.zone,
                      FormatPrice(nc.launch.price) + (nc.launch.price_simulated ? "*" : ""),
                      StrCat(nc.instance_type_options.size()), StrCat(nc.pods.size())});
    }
    out += Table(rows);
  }
  std::vector<std::vector<std::string>> pods = {{"POD", "NODE"}};
  for (const auto& nc : plan.node_claims) {
    for (const auto& p : nc.pods) pods.push_back({p, StrCat("nodeclaim/", nc.name)});
  }
  for (const auto& e : plan.existing_nodes) {
    for (const auto& p : e.pods) {
      pods.push_back({p, StrCat(e.is_node_claim ? "nodeclaim/" : "node/", e.name)});
    }
  }
  if (pods.size() > 1) out += "\n" + Table(pods);
  if (!plan.unschedulable.empty()) {
    out += "\n";
    std::vector<std::vector<std::string>> rows = {{"UNSCHEDULABLE", "REASON"}};
    for (const auto& u : plan.unschedulable) rows.push_back({u.pod, u.reason});
    out += Table(rows);
  }
  size_t placed = ScheduledPodCount(plan);
  out +=
      StrCat("\n", plan.node_claims.size(), " new node(s), ", placed, "/", sim.snapshot.pods.size(),
             " pod(s) scheduled, ", FormatPrice(plan.cost_per_hour), "/hour (",
             "USD, on-demand list prices", sim.any_spot ? "; * simulated spot price" : "", ")\n");
  if (sim.any_spot) {
    out +=
        StrCat("* spot prices are simulated: on-demand list price x ",
               RoundPrice(1 - sim.spot_discount), " (--spot-discount ", sim.spot_discount, ")\n");
  }
  for (const auto& w : sim.warnings) out += StrCat("warning: ", w, "\n");
  return out;
}

}  // namespace joinery::simulate
