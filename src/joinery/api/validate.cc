#include "joinery/api/validate.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "joinery/api/internal.h"
#include "joinery/api/labels.h"
#include "joinery/common/quantity.h"
#include "joinery/common/strings.h"

namespace joinery::api {
namespace {

using internal::Quote;

// A Status carries at most this many error lines; the rest are counted.
constexpr size_t kMaxErrorLines = 50;

// ---- Error collection, worded as the Kubernetes API server words field errors ----

class Errors {
 public:
  Errors(std::vector<std::string>& out, std::string prefix)
      : out_(out), prefix_(std::move(prefix)) {}

  void Add(std::string_view path, std::string_view msg) {
    if (path.empty()) {
      out_.push_back(StrCat(prefix_, msg));
    } else {
      out_.push_back(StrCat(prefix_, path, ": ", msg));
    }
  }
  void Required(std::string_view path, std::string_view detail = "") {
    Add(path, detail.empty() ? std::string("Required value") : StrCat("Required value: ", detail));
  }
  // `shown` is the value as printed: already quoted for strings.
  void Invalid(std::string_view path, std::string_view shown, std::string_view detail) {
    Add(path, StrCat("Invalid value: ", shown, ": ", detail));
  }
  void InvalidString(std::string_view path, std::string_view value, std::string_view detail) {
    Invalid(path, Quote(value), detail);
  }
  void InvalidInt(std::string_view path, int64_t value, std::string_view detail) {
    Invalid(path, StrCat(value), detail);
  }
  // A rule over a whole object (CEL rules print the value as "object").
  void InvalidObject(std::string_view path, std::string_view detail) {
    Invalid(path, "\"object\"", detail);
  }
  void Unsupported(std::string_view path, std::string_view value,
                   std::initializer_list<std::string_view> supported) {
    Unsupported(path, value,
                std::span<const std::string_view>(supported.begin(), supported.size()));
  }
  void Unsupported(std::string_view path, std::string_view value,
                   std::span<const std::string_view> supported) {
    std::string list;
    for (std::string_view s : supported) {
      if (!list.empty()) list += ", ";
      list += Quote(s);
    }
    Add(path, StrCat("Unsupported value: ", Quote(value), ": supported values: ", list));
  }
  void TooMany(std::string_view path, size_t n, size_t max) {
    Add(path, StrCat("Too many: ", n, ": must have at most ", max, " items"));
  }
  void TooLong(std::string_view path, size_t max) {
    Add(path, StrCat("Too long: may not be more than ", max, " bytes"));
  }
  void Forbidden(std::string_view path, std::string_view detail) {
    Add(path, StrCat("Forbidden: ", detail));
  }
  void Duplicate(std::string_view path, std::string_view shown, std::string_view detail = "") {
    Add(path, detail.empty() ? StrCat("Duplicate value: ", shown)
                             : StrCat("Duplicate value: ", shown, ": ", detail));
  }

 private:
  std::vector<std::string>& out_;
  std::string prefix_;
};

absl::Status ToStatus(const std::vector<std::string>& lines) {
  if (lines.empty()) return absl::OkStatus();
  std::string msg;
  size_t n = std::min(lines.size(), kMaxErrorLines);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) msg += '\n';
    msg += lines[i];
  }
  if (lines.size() > n) StrAppend(msg, "\n... and ", lines.size() - n, " more errors");
  return absl::InvalidArgumentError(msg);
}

using internal::At;
using internal::AtKey;
using internal::Join;

std::string JoinMessages(const std::vector<std::string>& msgs) { return StrJoin(msgs, "; "); }

// ---- Kubernetes name and label syntax (k8s.io/apimachinery/pkg/util/validation) ----

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesQualifiedNamePart(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool MatchesDNS1123Label(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*
bool MatchesDNS1123Subdomain(std::string_view s) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!MatchesDNS1123Label(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string RegexError(std::string_view msg, std::string_view fmt,
                       std::initializer_list<std::string_view> examples) {
  std::string out = StrCat(msg, " (e.g. ");
  bool first = true;
  for (std::string_view e : examples) {
    if (!first) out += ",  or ";
    first = false;
    StrAppend(out, "'", e, "'");
  }
  StrAppend(out, ", regex used for validation is '", fmt, "')");
  return out;
}

constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr std::string_view kDNS1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDNS1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

std::vector<std::string> DNS1123SubdomainErrors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 253) errs.push_back("must be no more than 253 characters");
  if (!MatchesDNS1123Subdomain(value)) {
    errs.push_back(RegexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
        "'.', and must start and end with an alphanumeric character",
        kDNS1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> DNS1123LabelErrors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back("must be no more than 63 characters");
  if (!MatchesDNS1123Label(value)) {
    errs.push_back(RegexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
        "must start and end with an alphanumeric character",
        kDNS1123LabelFmt, {"my-name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> QualifiedNameErrors(std::string_view value) {
  std::vector<std::string> errs;
  std::string_view name = value;
  size_t slash = value.find('/');
  if (slash != std::string_view::npos) {
    if (value.find('/', slash + 1) != std::string_view::npos) {
      errs.push_back(
          StrCat("a qualified name ",
                 RegexError(kQualifiedNameMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}),
                 " with an optional DNS subdomain prefix and '/' (e.g. "
                 "'example.com/MyName')"));
      return errs;
    }
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (const std::string& e : DNS1123SubdomainErrors(prefix)) {
        errs.push_back(StrCat("prefix part ", e));
      }
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    errs.push_back("name part must be no more than 63 characters");
  }
  if (!MatchesQualifiedNamePart(name)) {
    errs.push_back(StrCat("name part ", RegexError(kQualifiedNameMsg, kQualifiedNameFmt,
                                                   {"MyName", "my.name", "123-abc"})));
  }
  return errs;
}

std::vector<std::string> LabelValueErrors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back("must be no more than 63 characters");
  if (!value.empty() && !MatchesQualifiedNamePart(value)) {
    errs.push_back(RegexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
        "'.', and must start and end with an alphanumeric character",
        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

void CheckQualifiedName(Errors& errs, std::string_view path, std::string_view key) {
  if (std::vector<std::string> e = QualifiedNameErrors(key); !e.empty()) {
    errs.InvalidString(path, key, JoinMessages(e));
  }
}

void CheckLabelValue(Errors& errs, std::string_view path, std::string_view value) {
  if (std::vector<std::string> e = LabelValueErrors(value); !e.empty()) {
    errs.InvalidString(path, value, JoinMessages(e));
  }
}

// Label maps (metadata.labels, nodeSelector, matchLabels): keys and values.
void CheckLabels(Errors& errs, std::string_view path, const StringMap& labels) {
  for (const auto& [k, v] : labels) {
    CheckQualifiedName(errs, path, k);
    CheckLabelValue(errs, AtKey(path, k), v);
  }
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A non-negative decimal integer that fits in int64 (CEL's int() of a requirement value).
bool IsNonNegativeInt64(std::string_view s) {
  if (!IsDigits(s)) return false;
  while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
  return s.size() < 19 || (s.size() == 19 && s <= "9223372036854775807");
}

// An integer with an optional sign (the Kubernetes scheduler's Gt/Lt operand).
bool IsInt64(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  return IsNonNegativeInt64(s);
}

bool OneOf(std::string_view v, std::span<const std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}
bool OneOf(std::string_view v, std::initializer_list<std::string_view> set) {
  return OneOf(v, std::span<const std::string_view>(set.begin(), set.size()));
}

void CheckNonNegative(Errors& errs, std::string_view path, const ResourceList& resources) {
  for (const auto& [name, q] : resources) {
    if (q.milli() < 0) {
      errs.InvalidString(AtKey(path, name), q.ToString(), "must be greater than or equal to 0");
    }
  }
}

void CheckMetadata(Errors& errs, const ObjectMeta& meta, bool namespaced) {
  if (meta.name.empty()) {
    if (meta.generate_name.empty()) {
      errs.Required("metadata.name", "name or generateName is required");
    }
  } else if (std::vector<std::string> e = DNS1123SubdomainErrors(meta.name); !e.empty()) {
    errs.InvalidString("metadata.name", meta.name, JoinMessages(e));
  }
  if (namespaced && !meta.namespace_.empty()) {
    if (std::vector<std::string> e = DNS1123LabelErrors(meta.namespace_); !e.empty()) {
      errs.InvalidString("metadata.namespace", meta.namespace_, JoinMessages(e));
    }
  }
  CheckLabels(errs, "metadata.labels", meta.labels);
}

// ---- Karpenter: requirements, taints, nodeClassRef ----

constexpr std::string_view kKarpenterOperators[] = {"In", "NotIn", "Exists", "DoesNotExist",
                                                    "Gt", "Lt",    "Gte",    "Lte"};

// The CRD's message for a restricted label key (the key is restricted per IsRestrictedLabel).
std::string RestrictedLabelMessage(std::string_view key) {
  key = NormalizeLabelKey(key);
  if (key == kLabelHostname || key == kLabelNodePool)
    return StrCat("label ", Quote(key), " is restricted");
  size_t slash = key.find('/');
  std::string_view prefix = key.substr(0, slash);
  std::string_view domain =
      prefix == kAWSGroup || prefix.ends_with(StrCat(".", kAWSGroup)) ? kAWSGroup : kKarpenterGroup;
  return StrCat("label domain ", Quote(domain), " is restricted");
}

void CheckKarpenterLabelKey(Errors& errs, std::string_view path, std::string_view key,
                            bool for_node_claim) {
  if (key.empty()) {
    errs.Required(path);
    return;
  }
  if (key.size() > 316) errs.TooLong(path, 316);
  CheckQualifiedName(errs, path, key);
  if (IsRestrictedLabel(key, for_node_claim)) {
    errs.InvalidString(path, key, RestrictedLabelMessage(key));
  }
}

void CheckRequirement(Errors& errs, const NodeSelectorRequirement& r, std::string_view path,
                      bool for_node_claim) {
  CheckKarpenterLabelKey(errs, Join(path, "key"), r.key, for_node_claim);
  const std::string& op = r.operator_;
  if (op.empty()) {
    errs.Required(Join(path, "operator"));
  } else if (!OneOf(op, kKarpenterOperators)) {
    errs.Unsupported(Join(path, "operator"), op, kKarpenterOperators);
  }
  for (size_t i = 0; i < r.values.size(); ++i) {
    CheckLabelValue(errs, At(Join(path, "values"), i), r.values[i]);
  }
  if (op == "In" && r.values.empty()) {
    errs.InvalidObject(path, "requirements with operator 'In' must have a value defined");
  }
  if (OneOf(op, {"Gt", "Lt", "Gte", "Lte"}) &&
      (r.values.size() != 1 || !IsNonNegativeInt64(r.values[0]))) {
    errs.InvalidObject(path,
                       "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single "
                       "positive integer value");
  }
  if (r.min_values.has_value()) {
    int mv = *r.min_values;
    if (mv < 1) {
      errs.InvalidInt(Join(path, "minValues"), mv, "should be greater than or equal to 1");
    } else if (mv > 50) {
      errs.InvalidInt(Join(path, "minValues"), mv, "should be less than or equal to 50");
    }
    if (op == "In" && r.values.size() < static_cast<size_t>(std::max(mv, 0))) {
      errs.InvalidObject(path,
                         "requirements with 'minValues' must have at least that many values "
                         "specified in the 'values' field");
    }
  }
  if (NormalizeLabelKey(r.key) == kLabelCapacityType && op == "In" && !r.values.empty() &&
      std::none_of(r.values.begin(), r.values.end(), [](const std::string& v) {
        return v == kCapacityTypeOnDemand || v == kCapacityTypeSpot || v == kCapacityTypeReserved;
      })) {
    errs.Invalid(Join(path, "values"), Quote(StrJoin(r.values, ",")),
                 StrCat("no known capacity type; supported values: \"", kCapacityTypeOnDemand,
                        "\", \"", kCapacityTypeSpot, "\", \"", kCapacityTypeReserved, "\""));
  }
}

void CheckRequirements(Errors& errs, const std::vector<NodeSelectorRequirement>& reqs,
                       std::string_view path, bool for_node_claim) {
  if (reqs.size() > 100) errs.TooMany(path, reqs.size(), 100);
  for (size_t i = 0; i < reqs.size(); ++i) {
    CheckRequirement(errs, reqs[i], At(path, i), for_node_claim);
  }
}

constexpr std::string_view kTaintEffects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute"};

void CheckTaint(Errors& errs, const Taint& t, std::string_view path) {
  if (t.key.empty()) {
    errs.Required(Join(path, "key"));
  } else {
    CheckQualifiedName(errs, Join(path, "key"), t.key);
  }
  CheckLabelValue(errs, Join(path, "value"), t.value);
  if (t.effect.empty()) {
    errs.Required(Join(path, "effect"));
  } else if (!OneOf(t.effect, kTaintEffects)) {
    errs.Unsupported(Join(path, "effect"), t.effect, kTaintEffects);
  }
}

// Taints and startupTaints share one key/effect namespace.
void CheckTaints(Errors& errs, const std::vector<Taint>& taints, std::string_view path,
                 std::set<std::pair<std::string, std::string>>& seen) {
  for (size_t i = 0; i < taints.size(); ++i) {
    const Taint& t = taints[i];
    std::string p = At(path, i);
    CheckTaint(errs, t, p);
    if (!seen.emplace(t.key, t.effect).second) {
      errs.Add(p, StrCat("duplicate taint Key/Effect pair ", t.key, "=", t.effect));
    }
  }
}

void CheckNodeClassRef(Errors& errs, const NodeClassReference& ref, std::string_view path) {
  if (ref.group.empty() && ref.kind.empty() && ref.name.empty()) {
    errs.Required(path);
    return;
  }
  if (ref.group.empty()) {
    errs.Required(Join(path, "group"));
  } else if (ref.group.find('/') != std::string::npos) {
    errs.InvalidString(Join(path, "group"), ref.group, "should match '^[^/]*$'");
  }
  if (ref.kind.empty()) errs.Required(Join(path, "kind"));
  if (ref.name.empty()) errs.Required(Join(path, "name"));
}

// ---- NodePool disruption ----

// ^((100|[0-9]{1,2})%|[0-9]+)$
bool MatchesBudgetNodes(std::string_view s) {
  if (!s.empty() && s.back() == '%') {
    std::string_view n = s.substr(0, s.size() - 1);
    return n == "100" || (IsDigits(n) && n.size() <= 2);
  }
  return IsDigits(s);
}

// The CRD pattern for schedules, with its regex semantics:
// ^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\s(.+)\s(.+)\s(.+)\s(.+))$
// The first branch is anchored only at the start, the second only at the end; `.` excludes '\n'.
bool MatchesBudgetSchedule(std::string_view s) {
  for (std::string_view macro :
       {"@annually", "@yearly", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}) {
    if (s.starts_with(macro)) return true;
  }
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  // ends[k][e]: some suffix s[e..] is matched by the last k fields and their separators, with
  // fields of at least one non-newline character.
  const size_t n = s.size();
  std::vector<char> ends(n + 1, 0);
  ends[n] = 1;  // zero fields match the empty suffix
  for (int field = 0; field < 5; ++field) {
    // A field is s[b..e) with e a reachable end, b < e, and no '\n' inside; before it (except for
    // the first field) one whitespace character.
    std::vector<char> starts(n + 1, 0);
    bool reachable = false;  // some e > b is reachable through non-newline characters
    for (size_t b = n; b-- > 0;) {
      if (s[b] == '\n') {
        reachable = false;
        continue;
      }
      if (ends[b + 1]) reachable = true;
      if (reachable) starts[b] = 1;
    }
    if (field == 4) return std::find(starts.begin(), starts.end(), 1) != starts.end();
    std::vector<char> next(n + 1, 0);
    for (size_t b = 1; b <= n; ++b) {
      if (starts[b] && is_space(s[b - 1])) next[b - 1] = 1;
    }
    ends = std::move(next);
  }
  return false;
}

// ^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$
bool MatchesBudgetDuration(std::string_view s) {
  auto core = [](std::string_view c) {
    if (c.size() < 2) return false;
    char unit = c.back();
    if (unit != 'h' && unit != 'm') return false;
    std::string_view body = c.substr(0, c.size() - 1);
    if (IsDigits(body)) return true;
    if (unit != 'm') return false;
    size_t h = body.find('h');
    return h != std::string_view::npos && IsDigits(body.substr(0, h)) &&
           IsDigits(body.substr(h + 1));
  };
  if (core(s)) return true;
  return s.ends_with("0s") && core(s.substr(0, s.size() - 2));
}

void CheckBudgets(Errors& errs, const std::vector<Budget>& budgets, std::string_view path) {
  if (budgets.size() > 50) errs.TooMany(path, budgets.size(), 50);
  for (size_t i = 0; i < budgets.size(); ++i) {
    const Budget& b = budgets[i];
    std::string p = At(path, i);
    if (!MatchesBudgetNodes(b.nodes)) {
      errs.InvalidString(Join(p, "nodes"), b.nodes, "should match '^((100|[0-9]{1,2})%|[0-9]+)$'");
    }
    if (b.schedule.has_value() != b.duration.has_value()) {
      errs.InvalidObject(p, "'schedule' must be set with 'duration'");
    }
    if (b.schedule.has_value() && !MatchesBudgetSchedule(*b.schedule)) {
      errs.InvalidString(Join(p, "schedule"), *b.schedule,
                         "should match '^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))"
                         "|((.+)\\s(.+)\\s(.+)\\s(.+)\\s(.+))$'");
    }
    if (b.duration.has_value() && !MatchesBudgetDuration(*b.duration)) {
      errs.InvalidString(Join(p, "duration"), *b.duration,
                         "should match '^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$'");
    }
    if (b.reasons.size() > 50) errs.TooMany(Join(p, "reasons"), b.reasons.size(), 50);
    std::set<std::string_view> seen;
    for (size_t j = 0; j < b.reasons.size(); ++j) {
      const std::string& reason = b.reasons[j];
      std::string rp = At(Join(p, "reasons"), j);
      if (!OneOf(reason, {"Underutilized", "Empty", "Drifted"})) {
        errs.Unsupported(rp, reason, {"Underutilized", "Empty", "Drifted"});
      } else if (!seen.insert(reason).second) {
        errs.Duplicate(rp, Quote(reason));
      }
    }
  }
}

void CheckNodePool(Errors& errs, const NodePool& np) {
  CheckMetadata(errs, np.metadata, /*namespaced=*/false);
  const std::string tmeta = "spec.template.metadata";
  const StringMap& labels = np.template_.labels;
  if (labels.size() > 100) errs.TooMany(Join(tmeta, "labels"), labels.size(), 100);
  for (const auto& [k, v] : labels) {
    CheckKarpenterLabelKey(errs, Join(tmeta, "labels"), k, /*for_node_claim=*/false);
    CheckLabelValue(errs, AtKey(Join(tmeta, "labels"), k), v);
  }
  const std::string tspec = "spec.template.spec";
  const NodeClaimTemplateSpec& spec = np.template_.spec;
  std::set<std::pair<std::string, std::string>> seen;
  CheckTaints(errs, spec.taints, Join(tspec, "taints"), seen);
  CheckTaints(errs, spec.startup_taints, Join(tspec, "startupTaints"), seen);
  CheckRequirements(errs, spec.requirements, Join(tspec, "requirements"), false);
  CheckNodeClassRef(errs, spec.node_class_ref, Join(tspec, "nodeClassRef"));

  const Disruption& d = np.disruption;
  if (!OneOf(d.consolidation_policy, {"WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"})) {
    errs.Unsupported("spec.disruption.consolidationPolicy", d.consolidation_policy,
                     {"WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"});
  }
  CheckBudgets(errs, d.budgets, "spec.disruption.budgets");
  CheckNonNegative(errs, "spec.limits", np.limits);
  if (np.weight.has_value() && (*np.weight < 1 || *np.weight > 100)) {
    errs.InvalidInt("spec.weight", *np.weight,
                    *np.weight < 1 ? "should be greater than or equal to 1"
                                   : "should be less than or equal to 100");
  }
  if (np.replicas.has_value()) {
    if (*np.replicas < 0) {
      errs.InvalidInt("spec.replicas", *np.replicas, "should be greater than or equal to 0");
    }
    if (std::any_of(np.limits.begin(), np.limits.end(),
                    [](const auto& kv) { return kv.first != kResourceNodes; })) {
      errs.InvalidObject("spec", "only 'limits.nodes' is supported on static NodePools");
    }
    if (np.weight.has_value()) {
      errs.InvalidObject("spec", "'weight' is not supported on static NodePools");
    }
  }
}

void CheckNodeClaim(Errors& errs, const NodeClaim& nc) {
  CheckMetadata(errs, nc.metadata, /*namespaced=*/false);
  std::set<std::pair<std::string, std::string>> seen;
  CheckTaints(errs, nc.spec.taints, "spec.taints", seen);
  CheckTaints(errs, nc.spec.startup_taints, "spec.startupTaints", seen);
  CheckRequirements(errs, nc.spec.requirements, "spec.requirements", /*for_node_claim=*/true);
  CheckNodeClassRef(errs, nc.spec.node_class_ref, "spec.nodeClassRef");
  CheckNonNegative(errs, "spec.resources.requests", nc.spec.resource_requests);
}

// ---- EC2NodeClass ----

// ^<prefix>[0-9a-z]+$
bool MatchesAWSID(std::string_view id, std::string_view prefix) {
  if (!id.starts_with(prefix) || id.size() == prefix.size()) return false;
  return std::all_of(id.begin() + static_cast<ptrdiff_t>(prefix.size()), id.end(),
                     [](char c) { return IsLowerAlnum(c); });
}

void CheckSelectorTags(Errors& errs, const StringMap& tags, std::string_view path) {
  if (tags.size() > 20) errs.TooMany(path, tags.size(), 20);
  for (const auto& [k, v] : tags) {
    if (k.empty() || v.empty()) {
      errs.InvalidObject(path, "empty tag keys or values aren't supported");
      return;
    }
  }
}

void CheckSubnetTerms(Errors& errs, const std::vector<SelectorTerm>& terms) {
  const std::string path = "spec.subnetSelectorTerms";
  if (terms.empty()) errs.Required(path, "subnetSelectorTerms cannot be empty");
  if (terms.size() > 30) errs.TooMany(path, terms.size(), 30);
  for (size_t i = 0; i < terms.size(); ++i) {
    const SelectorTerm& t = terms[i];
    std::string p = At(path, i);
    if (t.tags.empty() && t.id.empty()) {
      errs.InvalidObject(p, "expected at least one, got none, ['tags', 'id']");
    }
    if (!t.id.empty() && !t.tags.empty()) {
      errs.InvalidObject(p,
                         "'id' is mutually exclusive, cannot be set with a combination of other "
                         "fields in a subnet selector term");
    }
    if (!t.id.empty() && !MatchesAWSID(t.id, "subnet-")) {
      errs.InvalidString(Join(p, "id"), t.id, "should match 'subnet-[0-9a-z]+'");
    }
    CheckSelectorTags(errs, t.tags, Join(p, "tags"));
  }
}

void CheckSecurityGroupTerms(Errors& errs, const std::vector<SelectorTerm>& terms) {
  const std::string path = "spec.securityGroupSelectorTerms";
  if (terms.empty()) errs.Required(path, "securityGroupSelectorTerms cannot be empty");
  if (terms.size() > 30) errs.TooMany(path, terms.size(), 30);
  for (size_t i = 0; i < terms.size(); ++i) {
    const SelectorTerm& t = terms[i];
    std::string p = At(path, i);
    if (t.tags.empty() && t.id.empty() && t.name.empty()) {
      errs.InvalidObject(p, "expected at least one, got none, ['tags', 'id', 'name']");
    }
    if (!t.id.empty() && (!t.tags.empty() || !t.name.empty())) {
      errs.InvalidObject(p,
                         "'id' is mutually exclusive, cannot be set with a combination of other "
                         "fields in a security group selector term");
    }
    if (!t.name.empty() && (!t.tags.empty() || !t.id.empty())) {
      errs.InvalidObject(p,
                         "'name' is mutually exclusive, cannot be set with a combination of other "
                         "fields in a security group selector term");
    }
    if (!t.id.empty() && !MatchesAWSID(t.id, "sg-")) {
      errs.InvalidString(Join(p, "id"), t.id, "should match 'sg-[0-9a-z]+'");
    }
    CheckSelectorTags(errs, t.tags, Join(p, "tags"));
  }
}

void CheckCapacityReservationTerms(Errors& errs, const std::vector<SelectorTerm>& terms) {
  const std::string path = "spec.capacityReservationSelectorTerms";
  if (terms.size() > 30) errs.TooMany(path, terms.size(), 30);
  for (size_t i = 0; i < terms.size(); ++i) {
    const SelectorTerm& t = terms[i];
    std::string p = At(path, i);
    if (t.tags.empty() && t.id.empty() && t.instance_match_criteria.empty()) {
      errs.InvalidObject(
          p, "expected at least one, got none, ['tags', 'id', 'instanceMatchCriteria']");
    }
    if (!t.id.empty() &&
        (!t.tags.empty() || !t.owner_id.empty() || !t.instance_match_criteria.empty())) {
      errs.InvalidObject(p,
                         "'id' is mutually exclusive, cannot be set with a combination of other "
                         "fields in a capacity reservation selector term");
    }
    if (!t.id.empty() && !MatchesAWSID(t.id, "cr-")) {
      errs.InvalidString(Join(p, "id"), t.id, "should match '^cr-[0-9a-z]+$'");
    }
    if (!t.owner_id.empty() && !(t.owner_id.size() == 12 && IsDigits(t.owner_id))) {
      errs.InvalidString(Join(p, "ownerID"), t.owner_id, "should match '^[0-9]{12}$'");
    }
    if (!t.instance_match_criteria.empty() &&
        !OneOf(t.instance_match_criteria, {"open", "targeted"})) {
      errs.Unsupported(Join(p, "instanceMatchCriteria"), t.instance_match_criteria,
                       {"open", "targeted"});
    }
    CheckSelectorTags(errs, t.tags, Join(p, "tags"));
  }
}

struct AliasFamily {
  std::string_view alias;    // al2023
  std::string_view family;   // AL2023
  std::string_view article;  // "an" / "a"
  bool latest_only;
};

constexpr AliasFamily kAliasFamilies[] = {
    {"al2", "AL2", "an", false},
    {"al2023", "AL2023", "an", false},
    {"bottlerocket", "Bottlerocket", "a", false},
    {"windows2019", "Windows2019", "a", true},
    {"windows2022", "Windows2022", "a", true},
    {"windows2025", "Windows2025", "a", true},
};

const AliasFamily* FindAliasFamily(std::string_view alias) {
  std::string_view family = alias.substr(0, alias.find('@'));
  for (const AliasFamily& f : kAliasFamilies) {
    if (f.alias == family) return &f;
  }
  return nullptr;
}

// ^[a-zA-Z0-9]+@.+$
bool MatchesAliasFormat(std::string_view alias) {
  size_t at = alias.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= alias.size()) return false;
  if (!std::all_of(alias.begin(), alias.begin() + static_cast<ptrdiff_t>(at), IsAlnum))
    return false;
  return alias.find('\n', at) == std::string_view::npos;
}

void CheckAMISelectorTerms(Errors& errs, const EC2NodeClass& nc) {
  const std::string path = "spec.amiSelectorTerms";
  const std::vector<AMISelectorTerm>& terms = nc.ami_selector_terms;
  if (terms.empty()) errs.Required(path, "amiSelectorTerms cannot be empty");
  if (terms.size() > 30) errs.TooMany(path, terms.size(), 30);
  bool any_alias = false;
  for (size_t i = 0; i < terms.size(); ++i) {
    const AMISelectorTerm& t = terms[i];
    std::string p = At(path, i);
    if (t.tags.empty() && t.id.empty() && t.name.empty() && t.alias.empty() &&
        t.ssm_parameter.empty()) {
      errs.InvalidObject(
          p, "expected at least one, got none, ['tags', 'id', 'name', 'alias', 'ssmParameter']");
    }
    if (!t.id.empty() && (!t.tags.empty() || !t.name.empty() || !t.owner.empty() ||
                          !t.alias.empty() || !t.ssm_parameter.empty())) {
      errs.InvalidObject(p,
                         "'id' is mutually exclusive, cannot be set with a combination of other "
                         "fields in amiSelectorTerms");
    }
    if (!t.id.empty() && !MatchesAWSID(t.id, "ami-")) {
      errs.InvalidString(Join(p, "id"), t.id, "should match 'ami-[0-9a-z]+'");
    }
    CheckSelectorTags(errs, t.tags, Join(p, "tags"));
    if (t.alias.empty()) continue;
    any_alias = true;
    if (!t.tags.empty() || !t.name.empty() || !t.owner.empty() || !t.id.empty() ||
        !t.ssm_parameter.empty()) {
      errs.InvalidObject(p,
                         "'alias' is mutually exclusive, cannot be set with a combination of other "
                         "fields in amiSelectorTerms");
    }
    std::string ap = Join(p, "alias");
    if (t.alias.size() > 30) errs.TooLong(ap, 30);
    if (!MatchesAliasFormat(t.alias)) {
      errs.InvalidString(ap, t.alias,
                         "'alias' is improperly formatted, must match the format 'family@version'");
      continue;
    }
    const AliasFamily* family = FindAliasFamily(t.alias);
    if (family == nullptr) {
      errs.InvalidString(ap, t.alias,
                         "family is not supported, must be one of the following: 'al2', "
                         "'al2023', 'bottlerocket', 'windows2019', 'windows2022', 'windows2025'");
      continue;
    }
    if (family->latest_only && t.alias.substr(t.alias.find('@') + 1) != "latest") {
      errs.InvalidString(ap, t.alias, "windows families may only specify version 'latest'");
    }
    if (!nc.ami_family.empty() && nc.ami_family != family->family && nc.ami_family != "Custom") {
      errs.InvalidObject(
          "spec", StrCat("if set, amiFamily must be '", family->family, "' or 'Custom' when using ",
                         family->article, " ", family->family, " alias"));
    }
  }
  if (any_alias && terms.size() > 1) {
    errs.InvalidObject(path,
                       "'alias' is mutually exclusive, cannot be set with a combination of other "
                       "amiSelectorTerms");
  }
  static constexpr std::string_view kFamilies[] = {
      "AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022", "Windows2025"};
  if (!nc.ami_family.empty() && !OneOf(nc.ami_family, kFamilies)) {
    errs.Unsupported("spec.amiFamily", nc.ami_family, kFamilies);
  }
  if (!any_alias && nc.ami_family.empty()) {
    errs.InvalidObject("spec",
                       "must specify amiFamily if amiSelectorTerms does not contain an alias");
  }
}

void CheckTags(Errors& errs, const StringMap& tags) {
  for (const auto& [k, v] : tags) {
    if (k.empty()) {
      errs.InvalidObject("spec.tags", "empty tag keys aren't supported");
      continue;
    }
    for (std::string_view restricted :
         {"eks:eks-cluster-name", "karpenter.sh/nodepool", "karpenter.sh/nodeclaim",
          "karpenter.k8s.aws/ec2nodeclass"}) {
      if (k == restricted) {
        errs.InvalidObject("spec.tags",
                           StrCat("tag contains a restricted tag matching ", restricted));
      }
    }
    if (k.starts_with("kubernetes.io/cluster/")) {
      errs.InvalidObject("spec.tags",
                         "tag contains a restricted tag matching kubernetes.io/cluster/");
    }
  }
}

constexpr std::string_view kEvictionSignals[] = {"memory.available",   "nodefs.available",
                                                 "nodefs.inodesFree",  "imagefs.available",
                                                 "imagefs.inodesFree", "pid.available"};

std::string SignalList() {
  std::string out = "[";
  bool first = true;
  for (std::string_view s : kEvictionSignals) {
    if (!first) out += ",";
    first = false;
    StrAppend(out, "'", s, "'");
  }
  return out + "]";
}

// An eviction threshold: a percentage 0..100 (up to two decimals) or a quantity.
bool IsEvictionThreshold(std::string_view v) {
  if (!v.empty() && v.back() == '%') {
    std::string_view n = v.substr(0, v.size() - 1);
    size_t dot = n.find('.');
    std::string_view whole = n.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? "" : n.substr(dot + 1);
    if (!IsDigits(whole) || whole.size() > 3) return false;
    if (dot != std::string_view::npos && (frac.empty() || frac.size() > 2 || !IsDigits(frac))) {
      return false;
    }
    int w = 0;
    for (char c : whole) w = w * 10 + (c - '0');
    return w < 100 ||
           (w == 100 && std::all_of(frac.begin(), frac.end(), [](char c) { return c == '0'; }));
  }
  return Quantity::Parse(v).ok();
}

// Go time.ParseDuration syntax, as metav1.Duration accepts it: [-+]?([0-9]*(\.[0-9]*)?unit)+ with
// units ns, us, µs, ms, s, m, h; "0" alone is allowed.
bool IsGoDuration(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  if (s == "0") return true;
  if (s.empty()) return false;
  while (!s.empty()) {
    size_t i = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
      digits = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        ++i;
        digits = true;
      }
    }
    if (!digits) return false;
    s.remove_prefix(i);
    bool matched = false;
    for (std::string_view unit : {"ns", "us", "\xc2\xb5s", "ms", "s", "m", "h"}) {
      if (s.starts_with(unit)) {
        s.remove_prefix(unit.size());
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return true;
}

void CheckKubelet(Errors& errs, const KubeletConfiguration& k) {
  const std::string path = "spec.kubelet";
  if (k.max_pods.has_value() && *k.max_pods < 0) {
    errs.InvalidInt(Join(path, "maxPods"), *k.max_pods, "should be greater than or equal to 0");
  }
  if (k.pods_per_core.has_value() && *k.pods_per_core < 0) {
    errs.InvalidInt(Join(path, "podsPerCore"), *k.pods_per_core,
                    "should be greater than or equal to 0");
  }
  if (k.eviction_max_pod_grace_period.has_value() && *k.eviction_max_pod_grace_period < 0) {
    errs.InvalidInt(Join(path, "evictionMaxPodGracePeriod"), *k.eviction_max_pod_grace_period,
                    "should be greater than or equal to 0");
  }
  for (const auto& [name, value] :
       {std::pair{"systemReserved", &k.system_reserved}, {"kubeReserved", &k.kube_reserved}}) {
    std::string p = Join(path, name);
    for (const auto& [key, v] : *value) {
      if (!OneOf(key, {"cpu", "memory", "ephemeral-storage", "pid"})) {
        errs.InvalidObject(
            p, StrCat("valid keys for ", name, " are ['cpu','memory','ephemeral-storage','pid']"));
      }
      absl::StatusOr<Quantity> q = Quantity::Parse(v);
      if (!q.ok()) {
        errs.InvalidString(AtKey(p, key), v, ToStd(q.status().message()));
      } else if (q->milli() < 0) {
        errs.InvalidObject(p, StrCat(name, " value cannot be a negative resource quantity"));
      }
    }
  }
  for (const auto& [name, value] :
       {std::pair{"evictionHard", &k.eviction_hard}, {"evictionSoft", &k.eviction_soft}}) {
    std::string p = Join(path, name);
    for (const auto& [key, v] : *value) {
      if (!OneOf(key, kEvictionSignals)) {
        errs.InvalidObject(p, StrCat("valid keys for ", name, " are ", SignalList()));
      }
      if (!IsEvictionThreshold(v)) {
        errs.InvalidString(AtKey(p, key), v, "must be a percentage (0-100%) or a quantity");
      }
    }
  }
  {
    std::string p = Join(path, "evictionSoftGracePeriod");
    for (const auto& [key, v] : k.eviction_soft_grace_period) {
      if (!OneOf(key, kEvictionSignals)) {
        errs.InvalidObject(p, StrCat("valid keys for evictionSoftGracePeriod are ", SignalList()));
      }
      if (!IsGoDuration(v)) errs.InvalidString(AtKey(p, key), v, "must be a duration, e.g. 1m30s");
    }
  }
  for (const auto& [key, v] : k.eviction_soft) {
    if (!k.eviction_soft_grace_period.contains(key)) {
      errs.InvalidObject(path,
                         "evictionSoft OwnerKey does not have a matching evictionSoftGracePeriod");
      break;
    }
  }
  for (const auto& [key, v] : k.eviction_soft_grace_period) {
    if (!k.eviction_soft.contains(key)) {
      errs.InvalidObject(path,
                         "evictionSoftGracePeriod OwnerKey does not have a matching evictionSoft");
      break;
    }
  }
  for (const auto& [name, value] :
       {std::pair{"imageGCHighThresholdPercent", &k.image_gc_high_threshold_percent},
        {"imageGCLowThresholdPercent", &k.image_gc_low_threshold_percent}}) {
    if (value->has_value() && (**value < 0 || **value > 100)) {
      errs.InvalidInt(Join(path, name), **value,
                      **value < 0 ? "should be greater than or equal to 0"
                                  : "should be less than or equal to 100");
    }
  }
  if (k.image_gc_high_threshold_percent.has_value() &&
      k.image_gc_low_threshold_percent.has_value() &&
      *k.image_gc_high_threshold_percent <= *k.image_gc_low_threshold_percent) {
    errs.InvalidObject(
        path, "imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent");
  }
}

void CheckBlockDeviceMappings(Errors& errs, const std::vector<BlockDeviceMapping>& bdms) {
  const std::string path = "spec.blockDeviceMappings";
  if (bdms.size() > 50) errs.TooMany(path, bdms.size(), 50);
  size_t roots = std::count_if(bdms.begin(), bdms.end(),
                               [](const BlockDeviceMapping& b) { return b.root_volume; });
  if (roots > 1)
    errs.Invalid(path, "\"array\"", "must have only one blockDeviceMappings with rootVolume");
  static constexpr std::string_view kVolumeTypes[] = {"standard", "io1", "io2", "gp2",
                                                      "sc1",      "st1", "gp3"};
  const Quantity k64Ti = Quantity::FromUnits(int64_t{64} << 40, Quantity::Format::kBinarySI);
  for (size_t i = 0; i < bdms.size(); ++i) {
    if (!bdms[i].ebs.has_value()) continue;
    const BlockDevice& ebs = *bdms[i].ebs;
    std::string p = Join(At(path, i), "ebs");
    if (ebs.snapshot_id.empty() && !ebs.volume_size.has_value()) {
      errs.InvalidObject(p, "snapshotID or volumeSize must be defined");
    }
    if (ebs.volume_size.has_value() &&
        (ebs.volume_size->milli() <= 0 || *ebs.volume_size > k64Ti)) {
      errs.InvalidString(Join(p, "volumeSize"), ebs.volume_size->ToString(),
                         "must be greater than 0 and at most 64Ti");
    }
    if (!ebs.volume_type.empty() && !OneOf(ebs.volume_type, kVolumeTypes)) {
      errs.Unsupported(Join(p, "volumeType"), ebs.volume_type, kVolumeTypes);
    }
    if (ebs.volume_initialization_rate.has_value()) {
      int64_t rate = *ebs.volume_initialization_rate;
      if (rate < 100 || rate > 300) {
        errs.InvalidInt(Join(p, "volumeInitializationRate"), rate, "must be between 100 and 300");
      }
      if (ebs.snapshot_id.empty()) {
        errs.InvalidObject(p, "volumeInitializationRate must be set with snapshotID");
      }
    }
    if (ebs.iops.has_value() && *ebs.iops < 0) {
      errs.InvalidInt(Join(p, "iops"), *ebs.iops, "should be greater than or equal to 0");
    }
    if (ebs.throughput.has_value() && *ebs.throughput < 0) {
      errs.InvalidInt(Join(p, "throughput"), *ebs.throughput,
                      "should be greater than or equal to 0");
    }
  }
}

void CheckNetworkInterfaces(Errors& errs, const std::vector<NetworkInterface>& nics) {
  if (nics.empty()) return;
  const std::string path = "spec.networkInterfaces";
  if (nics.size() > 150) errs.TooMany(path, nics.size(), 150);
  std::set<std::pair<int32_t, int32_t>> seen;
  std::map<int32_t, int> efa_per_card;
  bool primary = false;
  for (size_t i = 0; i < nics.size(); ++i) {
    const NetworkInterface& n = nics[i];
    std::string p = At(path, i);
    if (n.network_card_index < 0) {
      errs.InvalidInt(Join(p, "networkCardIndex"), n.network_card_index,
                      "should be greater than or equal to 0");
    }
    if (n.device_index < 0) {
      errs.InvalidInt(Join(p, "deviceIndex"), n.device_index,
                      "should be greater than or equal to 0");
    }
    if (!OneOf(n.interface_type, {"interface", "efa-only"})) {
      errs.Unsupported(Join(p, "interfaceType"), n.interface_type, {"interface", "efa-only"});
    }
    if (!seen.emplace(n.network_card_index, n.device_index).second) {
      errs.Duplicate(p, StrCat("{networkCardIndex: ", n.network_card_index,
                               ", deviceIndex: ", n.device_index, "}"));
    }
    if (n.interface_type == "efa-only" && ++efa_per_card[n.network_card_index] == 2) {
      errs.InvalidObject(path, StrCat("at most one efa-only interface per network card (card ",
                                      n.network_card_index, ")"));
    }
    primary |= n.network_card_index == 0 && n.device_index == 0 && n.interface_type == "interface";
  }
  if (!primary) {
    errs.InvalidObject(path,
                       "must include an interface with networkCardIndex 0, deviceIndex 0 and "
                       "interfaceType 'interface'");
  }
}

void CheckEC2NodeClass(Errors& errs, const EC2NodeClass& nc) {
  CheckMetadata(errs, nc.metadata, /*namespaced=*/false);
  if (nc.role.empty() == nc.instance_profile.empty()) {
    errs.InvalidObject("spec", "must specify exactly one of ['role', 'instanceProfile']");
  }
  CheckSubnetTerms(errs, nc.subnet_selector_terms);
  CheckSecurityGroupTerms(errs, nc.security_group_selector_terms);
  CheckCapacityReservationTerms(errs, nc.capacity_reservation_selector_terms);
  if (nc.placement_group_selector.has_value()) {
    const SelectorTerm& pg = *nc.placement_group_selector;
    if (pg.name.empty() == pg.id.empty()) {
      errs.InvalidObject("spec.placementGroupSelector", "expected exactly one of ['name', 'id']");
    }
    if (!pg.id.empty() && !MatchesAWSID(pg.id, "pg-")) {
      errs.InvalidString("spec.placementGroupSelector.id", pg.id, "should match '^pg-[0-9a-z]+$'");
    }
  }
  CheckAMISelectorTerms(errs, nc);
  CheckTags(errs, nc.tags);
  if (nc.kubelet.has_value()) CheckKubelet(errs, *nc.kubelet);
  CheckBlockDeviceMappings(errs, nc.block_device_mappings);
  if (!nc.instance_store_policy.empty() && nc.instance_store_policy != "RAID0") {
    errs.Unsupported("spec.instanceStorePolicy", nc.instance_store_policy, {"RAID0"});
  }
  CheckNetworkInterfaces(errs, nc.network_interfaces);
  if (nc.ip_prefix_count.has_value() && *nc.ip_prefix_count < 0) {
    errs.InvalidInt("spec.ipPrefixCount", *nc.ip_prefix_count,
                    "should be greater than or equal to 0");
  }
  const MetadataOptions& mo = nc.metadata_options;
  if (!OneOf(mo.http_endpoint, {"enabled", "disabled"})) {
    errs.Unsupported("spec.metadataOptions.httpEndpoint", mo.http_endpoint,
                     {"enabled", "disabled"});
  }
  if (!OneOf(mo.http_protocol_ipv6, {"enabled", "disabled"})) {
    errs.Unsupported("spec.metadataOptions.httpProtocolIPv6", mo.http_protocol_ipv6,
                     {"enabled", "disabled"});
  }
  if (!OneOf(mo.http_tokens, {"required", "optional"})) {
    errs.Unsupported("spec.metadataOptions.httpTokens", mo.http_tokens, {"required", "optional"});
  }
  if (mo.http_put_response_hop_limit < 1 || mo.http_put_response_hop_limit > 64) {
    errs.InvalidInt("spec.metadataOptions.httpPutResponseHopLimit", mo.http_put_response_hop_limit,
                    mo.http_put_response_hop_limit < 1 ? "should be greater than or equal to 1"
                                                       : "should be less than or equal to 64");
  }
  if (nc.connection_tracking.has_value()) {
    const ConnectionTracking& ct = *nc.connection_tracking;
    const std::string p = "spec.connectionTracking";
    if (!ct.tcp_established_timeout && !ct.udp_stream_timeout && !ct.udp_timeout) {
      errs.InvalidObject(p,
                         "expected at least one, got none, ['tcpEstablishedTimeout', "
                         "'udpStreamTimeout', 'udpTimeout']");
    }
    for (const auto& [name, value, lo, hi] :
         {std::tuple{"tcpEstablishedTimeout", &ct.tcp_established_timeout, 60, 432000},
          {"udpStreamTimeout", &ct.udp_stream_timeout, 60, 180},
          {"udpTimeout", &ct.udp_timeout, 30, 60}}) {
      if (value->has_value() && (**value < lo || **value > hi)) {
        errs.InvalidInt(Join(p, name), **value, StrCat("must be between ", lo, " and ", hi));
      }
    }
  }
  if (!nc.nested_virtualization.empty() &&
      !OneOf(nc.nested_virtualization, {"enabled", "disabled"})) {
    errs.Unsupported("spec.cpuOptions.nestedVirtualization", nc.nested_virtualization,
                     {"enabled", "disabled"});
  }
}

// ---- core/v1 Pod and pod templates ----

void CheckNodeSelectorRequirement(Errors& errs, const NodeSelectorRequirement& r,
                                  std::string_view path) {
  if (r.key.empty()) {
    errs.Required(Join(path, "key"));
  } else {
    CheckQualifiedName(errs, Join(path, "key"), r.key);
  }
  const std::string& op = r.operator_;
  if (op == "In" || op == "NotIn") {
    if (r.values.empty()) {
      errs.Required(Join(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'");
    }
  } else if (op == "Exists" || op == "DoesNotExist") {
    if (!r.values.empty()) {
      errs.Forbidden(Join(path, "values"),
                     "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    }
  } else if (op == "Gt" || op == "Lt") {
    if (r.values.size() != 1) {
      errs.Required(Join(path, "values"),
                    "must be specified single value when `operator` is 'Lt' or 'Gt'");
    } else if (!IsInt64(r.values[0])) {
      errs.InvalidString(At(Join(path, "values"), 0), r.values[0], "must be an integer");
    }
  } else {
    errs.Unsupported(Join(path, "operator"), op,
                     {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"});
  }
  // Like the API server, values are not checked as label values here: a pod may ask for a value
  // no node carries, and scheduling reports that.
}

void CheckNodeSelectorTerm(Errors& errs, const NodeSelectorTerm& term, std::string_view path) {
  for (size_t i = 0; i < term.match_expressions.size(); ++i) {
    CheckNodeSelectorRequirement(errs, term.match_expressions[i],
                                 At(Join(path, "matchExpressions"), i));
  }
  for (size_t i = 0; i < term.match_fields.size(); ++i) {
    const NodeSelectorRequirement& f = term.match_fields[i];
    std::string p = At(Join(path, "matchFields"), i);
    if (f.key != "metadata.name") {
      errs.InvalidString(Join(p, "key"), f.key, "not a valid field selector key");
    }
    if (f.operator_ != "In" && f.operator_ != "NotIn") {
      errs.Unsupported(Join(p, "operator"), f.operator_, {"In", "NotIn"});
    } else if (f.values.size() != 1) {
      errs.Required(Join(p, "values"),
                    "must be only one value when `operator` is 'In' or 'NotIn' "
                    "for node field selector");
    }
  }
}

void CheckLabelSelector(Errors& errs, const LabelSelector& sel, std::string_view path) {
  CheckLabels(errs, Join(path, "matchLabels"), sel.match_labels);
  for (size_t i = 0; i < sel.match_expressions.size(); ++i) {
    const LabelSelectorRequirement& r = sel.match_expressions[i];
    std::string p = At(Join(path, "matchExpressions"), i);
    if (r.key.empty()) {
      errs.Required(Join(p, "key"));
    } else {
      CheckQualifiedName(errs, Join(p, "key"), r.key);
    }
    if (r.operator_ == "In" || r.operator_ == "NotIn") {
      if (r.values.empty()) {
        errs.Required(Join(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'");
      }
    } else if (r.operator_ == "Exists" || r.operator_ == "DoesNotExist") {
      if (!r.values.empty()) {
        errs.Forbidden(Join(p, "values"),
                       "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    } else {
      errs.InvalidString(Join(p, "operator"), r.operator_, "not a valid selector operator");
    }
    for (size_t j = 0; j < r.values.size(); ++j) {
      CheckLabelValue(errs, At(Join(p, "values"), j), r.values[j]);
    }
  }
}

void CheckPodAffinityTerm(Errors& errs, const PodAffinityTerm& t, std::string_view path) {
  if (t.label_selector.has_value())
    CheckLabelSelector(errs, *t.label_selector, Join(path, "labelSelector"));
  if (t.namespace_selector.has_value()) {
    CheckLabelSelector(errs, *t.namespace_selector, Join(path, "namespaceSelector"));
  }
  if (t.topology_key.empty()) {
    errs.Required(Join(path, "topologyKey"), "can not be empty");
  } else {
    CheckQualifiedName(errs, Join(path, "topologyKey"), t.topology_key);
  }
  for (size_t i = 0; i < t.match_label_keys.size(); ++i) {
    CheckQualifiedName(errs, At(Join(path, "matchLabelKeys"), i), t.match_label_keys[i]);
  }
  for (size_t i = 0; i < t.mismatch_label_keys.size(); ++i) {
    CheckQualifiedName(errs, At(Join(path, "mismatchLabelKeys"), i), t.mismatch_label_keys[i]);
  }
}

void CheckWeight(Errors& errs, int32_t weight, std::string_view path) {
  if (weight < 1 || weight > 100) errs.InvalidInt(path, weight, "must be in the range 1-100");
}

void CheckPodAffinity(Errors& errs, const PodAffinity& a, std::string_view path) {
  const std::string req = Join(path, "requiredDuringSchedulingIgnoredDuringExecution");
  for (size_t i = 0; i < a.required.size(); ++i) {
    CheckPodAffinityTerm(errs, a.required[i], At(req, i));
  }
  const std::string pref = Join(path, "preferredDuringSchedulingIgnoredDuringExecution");
  for (size_t i = 0; i < a.preferred.size(); ++i) {
    std::string p = At(pref, i);
    CheckWeight(errs, a.preferred[i].weight, Join(p, "weight"));
    CheckPodAffinityTerm(errs, a.preferred[i].pod_affinity_term, Join(p, "podAffinityTerm"));
  }
}

void CheckAffinity(Errors& errs, const Affinity& a, std::string_view path) {
  if (a.node_affinity.has_value()) {
    const NodeAffinity& na = *a.node_affinity;
    std::string np = Join(path, "nodeAffinity");
    if (na.required.has_value()) {
      std::string rp =
          Join(Join(np, "requiredDuringSchedulingIgnoredDuringExecution"), "nodeSelectorTerms");
      if (na.required->empty()) errs.Required(rp, "must have at least one node selector term");
      for (size_t i = 0; i < na.required->size(); ++i) {
        CheckNodeSelectorTerm(errs, (*na.required)[i], At(rp, i));
      }
    }
    std::string pp = Join(np, "preferredDuringSchedulingIgnoredDuringExecution");
    for (size_t i = 0; i < na.preferred.size(); ++i) {
      std::string p = At(pp, i);
      CheckWeight(errs, na.preferred[i].weight, Join(p, "weight"));
      CheckNodeSelectorTerm(errs, na.preferred[i].preference, Join(p, "preference"));
    }
  }
  if (a.pod_affinity.has_value())
    CheckPodAffinity(errs, *a.pod_affinity, Join(path, "podAffinity"));
  if (a.pod_anti_affinity.has_value()) {
    CheckPodAffinity(errs, *a.pod_anti_affinity, Join(path, "podAntiAffinity"));
  }
}

void CheckToleration(Errors& errs, const Toleration& t, std::string_view path) {
  if (!t.key.empty()) CheckQualifiedName(errs, Join(path, "key"), t.key);
  if (t.key.empty() && t.operator_ != "Exists") {
    errs.InvalidString(Join(path, "operator"), t.operator_,
                       "operator must be Exists when `key` is empty, which means \"match all "
                       "values and all keys\"");
  }
  if (t.toleration_seconds.has_value() && t.effect != "NoExecute") {
    errs.InvalidString(Join(path, "effect"), t.effect,
                       "effect must be 'NoExecute' when `tolerationSeconds` is set");
  }
  if (t.operator_ == "Equal" || t.operator_.empty()) {
    if (std::vector<std::string> e = LabelValueErrors(t.value); !e.empty()) {
      errs.InvalidString(Join(path, "operator"), t.value, JoinMessages(e));
    }
  } else if (t.operator_ == "Exists") {
    if (!t.value.empty()) {
      errs.InvalidString(Join(path, "operator"), t.value,
                         "value must be empty when `operator` is 'Exists'");
    }
  } else {
    errs.Unsupported(Join(path, "operator"), t.operator_, {"Equal", "Exists"});
  }
  if (!t.effect.empty() && !OneOf(t.effect, kTaintEffects)) {
    errs.Unsupported(Join(path, "effect"), t.effect, kTaintEffects);
  }
}

void CheckTopologySpread(Errors& errs, const std::vector<TopologySpreadConstraint>& tscs,
                         std::string_view path) {
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < tscs.size(); ++i) {
    const TopologySpreadConstraint& c = tscs[i];
    std::string p = At(path, i);
    if (c.max_skew <= 0)
      errs.InvalidInt(Join(p, "maxSkew"), c.max_skew, "must be greater than zero");
    if (c.topology_key.empty()) {
      errs.Required(Join(p, "topologyKey"), "can not be empty");
    } else {
      CheckQualifiedName(errs, Join(p, "topologyKey"), c.topology_key);
    }
    if (!OneOf(c.when_unsatisfiable, {"DoNotSchedule", "ScheduleAnyway"})) {
      errs.Unsupported(Join(p, "whenUnsatisfiable"), c.when_unsatisfiable,
                       {"DoNotSchedule", "ScheduleAnyway"});
    }
    if (c.min_domains.has_value()) {
      if (*c.min_domains <= 0) {
        errs.InvalidInt(Join(p, "minDomains"), *c.min_domains, "must be greater than zero");
      }
      if (c.when_unsatisfiable != "DoNotSchedule") {
        errs.InvalidInt(Join(p, "minDomains"), *c.min_domains,
                        StrCat("can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ",
                               c.when_unsatisfiable));
      }
    }
    if (!c.node_affinity_policy.empty() && !OneOf(c.node_affinity_policy, {"Honor", "Ignore"})) {
      errs.Unsupported(Join(p, "nodeAffinityPolicy"), c.node_affinity_policy, {"Honor", "Ignore"});
    }
    if (!c.node_taints_policy.empty() && !OneOf(c.node_taints_policy, {"Honor", "Ignore"})) {
      errs.Unsupported(Join(p, "nodeTaintsPolicy"), c.node_taints_policy, {"Honor", "Ignore"});
    }
    if (c.label_selector.has_value())
      CheckLabelSelector(errs, *c.label_selector, Join(p, "labelSelector"));
    for (size_t j = 0; j < c.match_label_keys.size(); ++j) {
      CheckQualifiedName(errs, At(Join(p, "matchLabelKeys"), j), c.match_label_keys[j]);
    }
    if (!seen.emplace(c.topology_key, c.when_unsatisfiable).second) {
      errs.Duplicate(p, StrCat("{", c.topology_key, ", ", c.when_unsatisfiable, "}"));
    }
  }
}

void CheckContainers(Errors& errs, const std::vector<Container>& containers, std::string_view path,
                     bool init) {
  for (size_t i = 0; i < containers.size(); ++i) {
    const Container& c = containers[i];
    std::string p = At(path, i);
    std::string rp = Join(p, "resources");
    CheckNonNegative(errs, Join(rp, "requests"), c.resources.requests);
    CheckNonNegative(errs, Join(rp, "limits"), c.resources.limits);
    for (const auto& [name, req] : c.resources.requests) {
      auto lim = c.resources.limits.find(name);
      if (lim != c.resources.limits.end() && req > lim->second) {
        errs.InvalidString(
            AtKey(Join(rp, "requests"), name), req.ToString(),
            StrCat("must be less than or equal to ", name, " limit of ", lim->second.ToString()));
      }
    }
    for (size_t j = 0; j < c.ports.size(); ++j) {
      const ContainerPort& port = c.ports[j];
      std::string pp = At(Join(p, "ports"), j);
      if (port.container_port < 1 || port.container_port > 65535) {
        errs.InvalidInt(Join(pp, "containerPort"), port.container_port,
                        "must be between 1 and 65535, inclusive");
      }
      if (port.host_port < 0 || port.host_port > 65535) {
        errs.InvalidInt(Join(pp, "hostPort"), port.host_port,
                        "must be between 1 and 65535, inclusive");
      }
      if (!port.protocol.empty() && !OneOf(port.protocol, {"SCTP", "TCP", "UDP"})) {
        errs.Unsupported(Join(pp, "protocol"), port.protocol, {"SCTP", "TCP", "UDP"});
      }
    }
    if (!c.restart_policy.empty()) {
      if (!init) {
        errs.Forbidden(Join(p, "restartPolicy"), "may not be set for non-init containers");
      } else if (c.restart_policy != "Always") {
        errs.Unsupported(Join(p, "restartPolicy"), c.restart_policy, {"Always"});
      }
    }
  }
}

// ---- Storage (k8s.io/kubernetes pkg/apis/core/validation, pkg/apis/storage/validation) ----

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A StorageClass or PersistentVolume name as a reference: a DNS-1123 subdomain.
void CheckObjectReference(Errors& errs, std::string_view path, std::string_view name) {
  if (std::vector<std::string> e = DNS1123SubdomainErrors(name); !e.empty()) {
    errs.InvalidString(path, name, JoinMessages(e));
  }
}

void CheckClaimSpec(Errors& errs, const PersistentVolumeClaimSpec& spec, std::string_view path) {
  // "" is allowed: it turns dynamic provisioning off.
  if (spec.storage_class_name.has_value() && !spec.storage_class_name->empty()) {
    CheckObjectReference(errs, Join(path, "storageClassName"), *spec.storage_class_name);
  }
  if (!spec.volume_name.empty()) {
    CheckObjectReference(errs, Join(path, "volumeName"), spec.volume_name);
  }
}

void CheckPVC(Errors& errs, const PersistentVolumeClaim& c) {
  CheckMetadata(errs, c.metadata, /*namespaced=*/true);
  CheckClaimSpec(errs, c.spec, "spec");
  if (!c.phase.empty() && !OneOf(c.phase, {"Pending", "Bound", "Lost"})) {
    errs.Unsupported("status.phase", c.phase, {"Bound", "Lost", "Pending"});
  }
}

void CheckPV(Errors& errs, const PersistentVolume& pv) {
  CheckMetadata(errs, pv.metadata, /*namespaced=*/false);
  const PersistentVolumeSpec& spec = pv.spec;
  if (!spec.storage_class_name.empty()) {
    CheckObjectReference(errs, "spec.storageClassName", spec.storage_class_name);
  }
  if (spec.csi.has_value()) {
    if (spec.csi->driver.empty()) {
      errs.Required("spec.csi.driver");
    } else if (std::vector<std::string> e = QualifiedNameErrors(spec.csi->driver); !e.empty()) {
      errs.InvalidString("spec.csi.driver", spec.csi->driver, JoinMessages(e));
    }
    if (spec.csi->volume_handle.empty()) errs.Required("spec.csi.volumeHandle");
  }
  if (spec.aws_elastic_block_store.has_value() && spec.aws_elastic_block_store->volume_id.empty()) {
    errs.Required("spec.awsElasticBlockStore.volumeID");
  }
  if (spec.csi.has_value() && spec.aws_elastic_block_store.has_value()) {
    errs.Forbidden("spec.awsElasticBlockStore", "may not specify more than 1 volume type");
  }
  if (spec.node_affinity.has_value()) {
    std::string rp = "spec.nodeAffinity.required.nodeSelectorTerms";
    if (spec.node_affinity->empty()) errs.Required(rp, "must have at least one node selector term");
    for (size_t i = 0; i < spec.node_affinity->size(); ++i) {
      CheckNodeSelectorTerm(errs, (*spec.node_affinity)[i], At(rp, i));
    }
  }
  if (!pv.phase.empty() &&
      !OneOf(pv.phase, {"Pending", "Available", "Bound", "Released", "Failed"})) {
    errs.Unsupported("status.phase", pv.phase,
                     {"Available", "Bound", "Failed", "Pending", "Released"});
  }
}

void CheckStorageClass(Errors& errs, const StorageClass& sc) {
  CheckMetadata(errs, sc.metadata, /*namespaced=*/false);
  if (sc.provisioner.empty()) {
    errs.Required("provisioner");
  } else if (std::vector<std::string> e = QualifiedNameErrors(Lower(sc.provisioner)); !e.empty()) {
    errs.InvalidString("provisioner", sc.provisioner, JoinMessages(e));
  }
  if (!sc.volume_binding_mode.empty() &&
      !OneOf(sc.volume_binding_mode, {"Immediate", "WaitForFirstConsumer"})) {
    errs.Unsupported("volumeBindingMode", sc.volume_binding_mode,
                     {"Immediate", "WaitForFirstConsumer"});
  }
  for (size_t i = 0; i < sc.allowed_topologies.size(); ++i) {
    std::string ep = Join(At("allowedTopologies", i), "matchLabelExpressions");
    std::set<std::string, std::less<>> keys;
    const auto& exprs = sc.allowed_topologies[i].match_label_expressions;
    for (size_t j = 0; j < exprs.size(); ++j) {
      std::string p = At(ep, j);
      if (exprs[j].values.empty()) errs.Required(Join(p, "values"));
      std::set<std::string, std::less<>> values;
      for (size_t k = 0; k < exprs[j].values.size(); ++k) {
        if (!values.insert(exprs[j].values[k]).second) {
          errs.Duplicate(At(Join(p, "values"), k), Quote(exprs[j].values[k]));
        }
      }
      CheckQualifiedName(errs, Join(p, "key"), exprs[j].key);
      if (!keys.insert(exprs[j].key).second) errs.Duplicate(Join(p, "key"), Quote(exprs[j].key));
    }
  }
}

void CheckCSINode(Errors& errs, const CSINode& n) {
  CheckMetadata(errs, n.metadata, /*namespaced=*/false);
  std::set<std::string, std::less<>> names;
  for (size_t i = 0; i < n.drivers.size(); ++i) {
    const CSINodeDriver& d = n.drivers[i];
    std::string p = At("spec.drivers", i);
    if (d.name.empty()) {
      errs.Required(Join(p, "name"));
    } else if (!names.insert(d.name).second) {
      errs.Duplicate(Join(p, "name"), Quote(d.name));
    }
    if (d.node_id.empty()) errs.Required(Join(p, "nodeID"));
    if (d.allocatable_count.has_value() && *d.allocatable_count < 0) {
      errs.InvalidInt(Join(p, "allocatable.count"), *d.allocatable_count,
                      "must be greater than or equal to 0");
    }
  }
}

void CheckPodSpec(Errors& errs, const PodSpec& spec, std::string_view path) {
  CheckContainers(errs, spec.containers, Join(path, "containers"), /*init=*/false);
  CheckContainers(errs, spec.init_containers, Join(path, "initContainers"), /*init=*/true);
  CheckNonNegative(errs, Join(path, "overhead"), spec.overhead);
  CheckLabels(errs, Join(path, "nodeSelector"), spec.node_selector);
  if (spec.affinity.has_value()) CheckAffinity(errs, *spec.affinity, Join(path, "affinity"));
  for (size_t i = 0; i < spec.tolerations.size(); ++i) {
    CheckToleration(errs, spec.tolerations[i], At(Join(path, "tolerations"), i));
  }
  CheckTopologySpread(errs, spec.topology_spread_constraints,
                      Join(path, "topologySpreadConstraints"));
  for (size_t i = 0; i < spec.volumes.size(); ++i) {
    const Volume& v = spec.volumes[i];
    std::string vp = At(Join(path, "volumes"), i);
    if (v.pvc_claim_name.has_value() && v.pvc_claim_name->empty()) {
      errs.Required(Join(vp, "persistentVolumeClaim.claimName"));
    }
    if (v.pvc_claim_name.has_value() && v.ephemeral.has_value()) {
      errs.Forbidden(Join(vp, "ephemeral"), "may not specify more than 1 volume type");
    }
    if (v.ephemeral.has_value()) {
      CheckClaimSpec(errs, *v.ephemeral, Join(vp, "ephemeral.volumeClaimTemplate.spec"));
    }
  }
  if (!spec.restart_policy.empty() &&
      !OneOf(spec.restart_policy, {"Always", "OnFailure", "Never"})) {
    errs.Unsupported(Join(path, "restartPolicy"), spec.restart_policy,
                     {"Always", "OnFailure", "Never"});
  }
}

void CheckPod(Errors& errs, const Pod& pod) {
  CheckMetadata(errs, pod.metadata, /*namespaced=*/true);
  CheckPodSpec(errs, pod.spec, "spec");
}

void CheckNode(Errors& errs, const Node& node) {
  CheckMetadata(errs, node.metadata, /*namespaced=*/false);
  for (size_t i = 0; i < node.taints.size(); ++i)
    CheckTaint(errs, node.taints[i], At("spec.taints", i));
  CheckNonNegative(errs, "status.capacity", node.capacity);
  CheckNonNegative(errs, "status.allocatable", node.allocatable);
}

// ---- Workloads ----

bool SelectorMatches(const LabelSelector& sel, const StringMap& labels) {
  for (const auto& [k, v] : sel.match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const LabelSelectorRequirement& r : sel.match_expressions) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    if (r.operator_ == "In" && !in) return false;
    if (r.operator_ == "NotIn" && in) return false;
    if (r.operator_ == "Exists" && !has) return false;
    if (r.operator_ == "DoesNotExist" && has) return false;
  }
  return true;
}

std::string LabelsToString(const StringMap& labels) {
  std::string out = "{";
  for (const auto& [k, v] : labels) {
    if (out.size() > 1) out += ", ";
    StrAppend(out, k, ": ", v);
  }
  return out + "}";
}

// apps/v1 workloads: a non-empty selector that matches the template's labels.
void CheckWorkloadSelector(Errors& errs, const std::optional<LabelSelector>& selector,
                           const PodTemplateSpec& tmpl, std::string_view kind_lower) {
  if (!selector.has_value()) {
    errs.Required("spec.selector");
    return;
  }
  if (selector->match_labels.empty() && selector->match_expressions.empty()) {
    errs.Invalid("spec.selector", "{}", StrCat("empty selector is invalid for ", kind_lower));
    return;
  }
  CheckLabelSelector(errs, *selector, "spec.selector");
  if (!SelectorMatches(*selector, tmpl.metadata.labels)) {
    errs.Invalid("spec.template.metadata.labels", LabelsToString(tmpl.metadata.labels),
                 "`selector` does not match template `labels`");
  }
}

void CheckTemplate(Errors& errs, const PodTemplateSpec& tmpl) {
  CheckLabels(errs, "spec.template.metadata.labels", tmpl.metadata.labels);
  CheckPodSpec(errs, tmpl.spec, "spec.template.spec");
}

void CheckReplicas(Errors& errs, int64_t replicas, std::string_view path) {
  if (replicas < 0) errs.InvalidInt(path, replicas, "must be greater than or equal to 0");
}

void CheckAlwaysRestart(Errors& errs, const PodTemplateSpec& tmpl) {
  if (!tmpl.spec.restart_policy.empty() && tmpl.spec.restart_policy != "Always") {
    errs.Unsupported("spec.template.spec.restartPolicy", tmpl.spec.restart_policy, {"Always"});
  }
}

void CheckDeployment(Errors& errs, const Deployment& d) {
  CheckMetadata(errs, d.metadata, /*namespaced=*/true);
  CheckReplicas(errs, d.replicas, "spec.replicas");
  CheckWorkloadSelector(errs, d.selector, d.template_, "deployment");
  CheckTemplate(errs, d.template_);
  CheckAlwaysRestart(errs, d.template_);
}

void CheckReplicaSet(Errors& errs, const ReplicaSet& r) {
  CheckMetadata(errs, r.metadata, /*namespaced=*/true);
  CheckReplicas(errs, r.replicas, "spec.replicas");
  CheckWorkloadSelector(errs, r.selector, r.template_, "replicaset");
  CheckTemplate(errs, r.template_);
  CheckAlwaysRestart(errs, r.template_);
}

// spec.volumeClaimTemplates: each template's name becomes a pod volume's name (which the API
// server requires to be a DNS-1123 label, unique within the pod) and, with the StatefulSet's name
// and an ordinal, the name of a claim.
void CheckVolumeClaimTemplates(Errors& errs, const std::vector<PersistentVolumeClaim>& templates) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < templates.size(); ++i) {
    const PersistentVolumeClaim& t = templates[i];
    std::string p = At("spec.volumeClaimTemplates", i);
    std::string name_path = Join(p, "metadata.name");
    if (t.metadata.name.empty()) {
      errs.Required(name_path);
    } else if (std::vector<std::string> e = DNS1123LabelErrors(t.metadata.name); !e.empty()) {
      errs.InvalidString(name_path, t.metadata.name, JoinMessages(e));
    } else if (!seen.insert(t.metadata.name).second) {
      errs.Duplicate(name_path, Quote(t.metadata.name));
    }
    CheckLabels(errs, Join(p, "metadata.labels"), t.metadata.labels);
    CheckClaimSpec(errs, t.spec, Join(p, "spec"));
  }
}

void CheckStatefulSet(Errors& errs, const StatefulSet& s) {
  CheckMetadata(errs, s.metadata, /*namespaced=*/true);
  CheckReplicas(errs, s.replicas, "spec.replicas");
  CheckWorkloadSelector(errs, s.selector, s.template_, "statefulset");
  CheckTemplate(errs, s.template_);
  CheckAlwaysRestart(errs, s.template_);
  CheckVolumeClaimTemplates(errs, s.volume_claim_templates);
}

void CheckDaemonSet(Errors& errs, const DaemonSet& d) {
  CheckMetadata(errs, d.metadata, /*namespaced=*/true);
  CheckWorkloadSelector(errs, d.selector, d.template_, "daemonset");
  CheckTemplate(errs, d.template_);
  CheckAlwaysRestart(errs, d.template_);
}

void CheckJob(Errors& errs, const Job& j) {
  CheckMetadata(errs, j.metadata, /*namespaced=*/true);
  CheckReplicas(errs, j.parallelism, "spec.parallelism");
  if (j.completions.has_value()) CheckReplicas(errs, *j.completions, "spec.completions");
  CheckTemplate(errs, j.template_);
  const std::string& rp = j.template_.spec.restart_policy;
  if (rp.empty()) {
    errs.Required("spec.template.spec.restartPolicy", "valid values: \"OnFailure\", \"Never\"");
  } else if (rp != "OnFailure" && rp != "Never") {
    errs.Unsupported("spec.template.spec.restartPolicy", rp, {"OnFailure", "Never"});
  }
}

// minAvailable / maxUnavailable: a non-negative integer or a percentage 0%..100%.
void CheckIntOrPercent(Errors& errs, const std::optional<std::string>& v, std::string_view path) {
  if (!v.has_value()) return;
  const std::string& s = *v;
  if (IsNonNegativeInt64(s)) {
    if (s.size() > 10) errs.InvalidString(path, s, "must be a 32-bit integer");
    return;
  }
  if (IsInt64(s)) {
    errs.InvalidString(path, s, "must be greater than or equal to 0");
    return;
  }
  if (s.ends_with('%') && IsDigits(std::string_view(s).substr(0, s.size() - 1))) {
    std::string_view n = std::string_view(s).substr(0, s.size() - 1);
    while (n.size() > 1 && n.front() == '0') n.remove_prefix(1);
    if (n.size() > 3 || (n.size() == 3 && n > "100")) {
      errs.InvalidString(path, s, "must not be greater than 100%");
    }
    return;
  }
  errs.InvalidString(path, s,
                     "a valid percent string must be a numeric string followed by an ending '%' "
                     "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
}

void CheckPDB(Errors& errs, const PodDisruptionBudget& p) {
  CheckMetadata(errs, p.metadata, /*namespaced=*/true);
  if (p.min_available.has_value() && p.max_unavailable.has_value()) {
    errs.InvalidObject("spec", "minAvailable and maxUnavailable cannot be both set");
  }
  CheckIntOrPercent(errs, p.min_available, "spec.minAvailable");
  CheckIntOrPercent(errs, p.max_unavailable, "spec.maxUnavailable");
  if (p.selector.has_value()) CheckLabelSelector(errs, *p.selector, "spec.selector");
}

// ---- Running the checks ----

template <typename T, typename Check>
absl::Status ValidateOne(const T& obj, std::string_view kind, bool namespaced, Check check) {
  std::vector<std::string> lines;
  Errors errs(lines, internal::ObjectPrefix(obj.source.file, kind, obj.metadata, namespaced));
  check(errs, obj);
  return ToStatus(lines);
}

template <typename T, typename Check>
void CheckAll(std::vector<std::string>& lines, const std::vector<T>& objs, std::string_view kind,
              bool namespaced, Check check) {
  // Names must be unique per kind and namespace; generateName objects get names later.
  std::map<std::pair<std::string, std::string>, const T*> seen;
  for (const T& obj : objs) {
    Errors errs(lines, internal::ObjectPrefix(obj.source.file, kind, obj.metadata, namespaced));
    check(errs, obj);
    if (obj.metadata.name.empty()) continue;
    std::string ns =
        namespaced ? (obj.metadata.namespace_.empty() ? "default" : obj.metadata.namespace_) : "";
    auto [it, inserted] = seen.emplace(std::pair{ns, obj.metadata.name}, &obj);
    if (!inserted) {
      const std::string& other = it->second->source.file;
      errs.Duplicate("metadata.name", Quote(obj.metadata.name),
                     StrCat(kind, " names must be unique", namespaced ? " in a namespace" : "",
                            "; also defined in ", other.empty() ? "the same input" : other,
                            " (document ", it->second->source.document + 1, ")"));
    }
  }
}

}  // namespace

absl::Status ValidateRequirement(const NodeSelectorRequirement& r, std::string_view path,
                                 bool for_node_claim) {
  std::vector<std::string> lines;
  Errors errs(lines, "");
  CheckRequirement(errs, r, path, for_node_claim);
  return ToStatus(lines);
}

absl::Status ValidateNodePool(const NodePool& np) {
  return ValidateOne(np, "NodePool", false, CheckNodePool);
}

absl::Status ValidateEC2NodeClass(const EC2NodeClass& nc) {
  return ValidateOne(nc, "EC2NodeClass", false, CheckEC2NodeClass);
}

absl::Status ValidateNodeClaim(const NodeClaim& nc) {
  return ValidateOne(nc, "NodeClaim", false, CheckNodeClaim);
}

absl::Status ValidatePod(const Pod& pod) { return ValidateOne(pod, "Pod", true, CheckPod); }

absl::Status ValidateNode(const Node& node) { return ValidateOne(node, "Node", false, CheckNode); }

absl::Status ValidatePersistentVolumeClaim(const PersistentVolumeClaim& c) {
  return ValidateOne(c, "PersistentVolumeClaim", true, CheckPVC);
}

absl::Status ValidatePersistentVolume(const PersistentVolume& pv) {
  return ValidateOne(pv, "PersistentVolume", false, CheckPV);
}

absl::Status ValidateStorageClass(const StorageClass& sc) {
  return ValidateOne(sc, "StorageClass", false, CheckStorageClass);
}

absl::Status ValidateCSINode(const CSINode& n) {
  return ValidateOne(n, "CSINode", false, CheckCSINode);
}

absl::Status ValidateManifests(const Manifests& m) {
  std::vector<std::string> lines;
  CheckAll(lines, m.node_pools, "NodePool", false, CheckNodePool);
  CheckAll(lines, m.node_classes, "EC2NodeClass", false, CheckEC2NodeClass);
  CheckAll(lines, m.node_claims, "NodeClaim", false, CheckNodeClaim);
  CheckAll(lines, m.pods, "Pod", true, CheckPod);
  CheckAll(lines, m.nodes, "Node", false, CheckNode);
  CheckAll(lines, m.deployments, "Deployment", true, CheckDeployment);
  CheckAll(lines, m.replica_sets, "ReplicaSet", true, CheckReplicaSet);
  CheckAll(lines, m.stateful_sets, "StatefulSet", true, CheckStatefulSet);
  CheckAll(lines, m.jobs, "Job", true, CheckJob);
  CheckAll(lines, m.daemon_sets, "DaemonSet", true, CheckDaemonSet);
  CheckAll(lines, m.pod_disruption_budgets, "PodDisruptionBudget", true, CheckPDB);
  CheckAll(lines, m.persistent_volume_claims, "PersistentVolumeClaim", true, CheckPVC);
  CheckAll(lines, m.persistent_volumes, "PersistentVolume", false, CheckPV);
  CheckAll(lines, m.storage_classes, "StorageClass", false, CheckStorageClass);
  CheckAll(lines, m.csi_nodes, "CSINode", false, CheckCSINode);
  return ToStatus(lines);
}

bool IsValidLabelValue(std::string_view value) { return LabelValueErrors(value).empty(); }

}  // namespace joinery::api
