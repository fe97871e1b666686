#include "joinery/cloudprovider/simulated/vpc_inventory.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "joinery/common/hash.h"
#include "joinery/cloudprovider/catalog.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "yaml-cpp/yaml.h"

namespace joinery::cloudprovider::simulated {
namespace {

constexpr std::string_view kDiscoveryTag = "karpenter.sh/discovery";

// "<prefix>-0" + 16 hex digits, deterministic in `seed` (AWS IDs have 17 hex digits).
std::string AwsId(std::string_view prefix, std::string_view seed) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(Fnv1a64(seed)));
  return StrCat(prefix, "-0", buf);
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

absl::Status FieldError(std::string_view path, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(path, ": ", what));
}

absl::StatusOr<std::string> ScalarField(const YAML::Node& node, std::string_view path,
                                        const char* key, bool required) {
  YAML::Node v = node[key];
  if (!v || v.IsNull()) {
    if (required) return FieldError(StrCat(path, ".", key), "required");
    return std::string();
  }
  if (!v.IsScalar()) return FieldError(StrCat(path, ".", key), "must be a string");
  return v.as<std::string>();
}

absl::StatusOr<api::StringMap> TagsField(const YAML::Node& node, std::string_view path) {
  api::StringMap out;
  YAML::Node v = node["tags"];
  if (!v || v.IsNull()) return out;
  if (!v.IsMap()) return FieldError(StrCat(path, ".tags"), "must be a map");
  for (const auto& kv : v) {
    if (!kv.second.IsScalar()) {
      return FieldError(StrCat(path, ".tags.", kv.first.as<std::string>()), "must be a string");
    }
    out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return out;
}

absl::StatusOr<VpcInventory> ParseNode(const YAML::Node& root) {
  VpcInventory inv;
  if (!root || root.IsNull()) return inv;
  if (!root.IsMap()) return absl::InvalidArgumentError("the inventory must be a YAML map");
  ASSIGN_OR_RETURN(inv.vpc_id, ScalarField(root, "", "vpcID", false));
  auto seq = [&](const char* key) -> absl::StatusOr<YAML::Node> {
    YAML::Node v = root[key];
    if (v && !v.IsNull() && !v.IsSequence()) return FieldError(key, "must be a list");
    return v;
  };
  ASSIGN_OR_RETURN(YAML::Node subnets, seq("subnets"));
  for (size_t i = 0; subnets && i < subnets.size(); ++i) {
    std::string path = StrCat("subnets[", i, "]");
    const YAML::Node& n = subnets[i];
    if (!n.IsMap()) return FieldError(path, "must be a map");
    Subnet s;
    ASSIGN_OR_RETURN(s.id, ScalarField(n, path, "id", true));
    ASSIGN_OR_RETURN(s.zone, ScalarField(n, path, "zone", true));
    ASSIGN_OR_RETURN(s.zone_id, ScalarField(n, path, "zoneID", false));
    ASSIGN_OR_RETURN(std::string ips, ScalarField(n, path, "availableIPs", false));
    if (!ips.empty()) {
      char* end = nullptr;
      long long v = std::strtoll(ips.c_str(), &end, 10);
      if (end == ips.c_str() || *end != '\0' || v < 0) {
        return FieldError(StrCat(path, ".availableIPs"), "must be a non-negative integer");
      }
      s.available_ips = v;
    }
    ASSIGN_OR_RETURN(s.tags, TagsField(n, path));
    inv.subnets.push_back(std::move(s));
  }
  ASSIGN_OR_RETURN(YAML::Node groups, seq("securityGroups"));
  for (size_t i = 0; groups && i < groups.size(); ++i) {
    std::string path = StrCat("securityGroups[", i, "]");
    const YAML::Node& n = groups[i];
    if (!n.IsMap()) return FieldError(path, "must be a map");
    SecurityGroup g;
    ASSIGN_OR_RETURN(g.id, ScalarField(n, path, "id", true));
    ASSIGN_OR_RETURN(g.name, ScalarField(n, path, "name", false));
    ASSIGN_OR_RETURN(g.tags, TagsField(n, path));
    inv.security_groups.push_back(std::move(g));
  }
  ASSIGN_OR_RETURN(YAML::Node amis, seq("amis"));
  for (size_t i = 0; amis && i < amis.size(); ++i) {
    std::string path = StrCat("amis[", i, "]");
    const YAML::Node& n = amis[i];
    if (!n.IsMap()) return FieldError(path, "must be a map");
    Image im;
    ASSIGN_OR_RETURN(im.id, ScalarField(n, path, "id", true));
    ASSIGN_OR_RETURN(im.name, ScalarField(n, path, "name", false));
    ASSIGN_OR_RETURN(im.arch, ScalarField(n, path, "arch", true));
    if (im.arch != "amd64" && im.arch != "arm64") {
      return FieldError(StrCat(path, ".arch"), StrCat("must be amd64 or arm64, got \"", im.arch, "\""));
    }
    ASSIGN_OR_RETURN(im.family, ScalarField(n, path, "family", false));
    ASSIGN_OR_RETURN(im.version, ScalarField(n, path, "version", false));
    ASSIGN_OR_RETURN(im.creation_date, ScalarField(n, path, "creationDate", false));
    ASSIGN_OR_RETURN(std::string dep, ScalarField(n, path, "deprecated", false));
    if (dep == "true") {
      im.deprecated = true;
    } else if (!dep.empty() && dep != "false") {
      return FieldError(StrCat(path, ".deprecated"), "must be true or false");
    }
    ASSIGN_OR_RETURN(im.tags, TagsField(n, path));
    inv.images.push_back(std::move(im));
  }
  return inv;
}

void EmitTags(YAML::Emitter& out, const api::StringMap& tags) {
  out << YAML::Key << "tags" << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : tags) out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
  out << YAML::EndMap;
}

}  // namespace

std::string ZoneIdPrefix(std::string_view region) {
  // us-east-1 -> use1, ap-southeast-2 -> apse2, eu-west-1 -> euw1.
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= region.size()) {
    size_t end = region.find('-', start);
    if (end == std::string_view::npos) end = region.size();
    parts.emplace_back(region.substr(start, end - start));
    start = end + 1;
  }
  if (parts.size() != 3) return std::string(region);
  std::string mid;
  for (std::string_view dir : {"north", "south", "east", "west", "central"}) {
    std::string_view p = parts[1];
    if (p.starts_with(dir)) {
      mid += dir == "central" ? "c" : std::string(1, dir[0]);
      p.remove_prefix(dir.size());
      if (!p.empty()) {
        for (std::string_view d2 : {"east", "west"}) {
          if (p == d2) mid += d2[0];
        }
      }
      break;
    }
  }
  if (mid.empty()) mid = parts[1].substr(0, 1);
  return StrCat(parts[0], mid, parts[2]);
}

VpcInventory VpcInventory::Default(std::string_view cluster_name, std::string_view region) {
  VpcInventory inv;
  inv.vpc_id = AwsId("vpc", StrCat("joinery-vpc/", region));
  std::string prefix = ZoneIdPrefix(region);
  int n = 0;
  for (const std::string& zone : DefaultZones(region)) {
    ++n;
    Subnet s;
    s.id = AwsId("subnet", StrCat("joinery-subnet/", zone));
    s.zone = zone;
    s.zone_id = StrCat(prefix, "-az", n);
    s.available_ips = 8187;
    s.tags = {{std::string(kDiscoveryTag), std::string(cluster_name)},
              {"Name", StrCat(cluster_name, "-private-", zone)},
              {"kubernetes.io/role/internal-elb", "1"}};
    inv.subnets.push_back(std::move(s));
  }
  SecurityGroup sg;
  sg.id = AwsId("sg", StrCat("joinery-sg/", region));
  sg.name = StrCat("eks-cluster-sg-", cluster_name);
  sg.tags = {{std::string(kDiscoveryTag), std::string(cluster_name)},
             {"Name", StrCat("eks-cluster-sg-", cluster_name)}};
  inv.security_groups.push_back(std::move(sg));

  struct Spec {
    std::string family, version, date, name_amd64, name_arm64;
  };
  const std::vector<Spec> specs = {
      {"al2023", "v20250101", "2025-01-01T00:00:00Z",
       "amazon-eks-node-al2023-x86_64-standard-1.31-v20250101",
       "amazon-eks-node-al2023-arm64-standard-1.31-v20250101"},
      {"al2023", "v20250115", "2025-01-15T00:00:00Z",
       "amazon-eks-node-al2023-x86_64-standard-1.31-v20250115",
       "amazon-eks-node-al2023-arm64-standard-1.31-v20250115"},
      {"al2", "v20250115", "2025-01-15T00:00:00Z", "amazon-eks-node-1.31-v20250115",
       "amazon-eks-arm64-node-1.31-v20250115"},
      {"bottlerocket", "v1.31.0", "2025-01-15T00:00:00Z",
       "bottlerocket-aws-k8s-1.31-x86_64-v1.31.0", "bottlerocket-aws-k8s-1.31-aarch64-v1.31.0"},
  };
  for (const Spec& s : specs) {
    for (std::string_view arch : {"amd64", "arm64"}) {
      Image im;
      im.name = arch == "amd64" ? s.name_amd64 : s.name_arm64;
      im.id = AwsId("ami", StrCat("joinery-ami/", region, "/", im.name));
      im.arch = std::string(arch);
      im.family = s.family;
      im.version = s.version;
      im.creation_date = s.date;
      im.tags = {{"joinery.dev/ami-family", s.family}};
      inv.images.push_back(std::move(im));
    }
  }
  return inv;
}

absl::StatusOr<VpcInventory> VpcInventory::Parse(std::string_view yaml_text,
                                                 std::string_view cluster_name) {
  std::string text = ReplaceAll(std::string(yaml_text), "${CLUSTER_NAME}", cluster_name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat("parsing the VPC inventory: ", e.what()));
  }
  try {
    return ParseNode(root);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat("reading the VPC inventory: ", e.what()));
  }
}

absl::StatusOr<VpcInventory> VpcInventory::Load(const std::string& path,
                                                std::string_view cluster_name) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat("reading ", path, ": cannot open the file"));
  std::stringstream ss;
  ss << in.rdbuf();
  auto inv = Parse(ss.str(), cluster_name);
  if (!inv.ok()) return Annotate(inv.status(), path);
  return inv;
}

std::string VpcInventory::ToYaml() const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "vpcID" << YAML::Value << vpc_id;
  out << YAML::Key << "subnets" << YAML::Value << YAML::BeginSeq;
  for (const Subnet& s : subnets) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << s.id << YAML::Key << "zone"
        << YAML::Value << s.zone << YAML::Key << "zoneID" << YAML::Value << s.zone_id
        << YAML::Key << "availableIPs" << YAML::Value << s.available_ips;
    EmitTags(out, s.tags);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "securityGroups" << YAML::Value << YAML::BeginSeq;
  for (const SecurityGroup& g : security_groups) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << g.id << YAML::Key << "name"
        << YAML::Value << g.name;
    EmitTags(out, g.tags);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "amis" << YAML::Value << YAML::BeginSeq;
  for (const Image& im : images) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << im.id << YAML::Key << "name"
        << YAML::Value << im.name << YAML::Key << "arch" << YAML::Value << im.arch << YAML::Key
        << "family" << YAML::Value << im.family << YAML::Key << "version" << YAML::Value
        << im.version << YAML::Key << "creationDate" << YAML::Value << YAML::DoubleQuoted
        << im.creation_date << YAML::Key << "deprecated" << YAML::Value << im.deprecated;
    EmitTags(out, im.tags);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return StrCat(std::string(out.c_str()), "\n");
}

const Subnet* VpcInventory::FindSubnet(std::string_view id) const {
  for (const Subnet& s : subnets) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

}  // namespace joinery::cloudprovider::simulated
