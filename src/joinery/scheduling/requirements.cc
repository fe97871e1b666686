#include "joinery/scheduling/requirements.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "joinery/common/strings.h"
#include "joinery/api/labels.h"

namespace joinery::scheduling {
namespace {

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<int64_t> MaxOpt(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}
std::optional<int64_t> MinOpt(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

bool Within(std::string_view value, std::optional<int64_t> gte, std::optional<int64_t> lte) {
  if (!gte && !lte) return true;
  auto v = ParseInt(value);
  if (!v) return false;
  return (!gte || *v >= *gte) && (!lte || *v <= *lte);
}

bool IsNegative(std::string_view op) { return op == "NotIn" || op == "DoesNotExist"; }

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

Requirement::Requirement(std::string key) : key_(std::move(key)) {}

Requirement Requirement::In(std::string key, std::vector<std::string> values) {
  Requirement r(std::move(key));
  r.complement_ = false;
  r.values_.insert(std::make_move_iterator(values.begin()), std::make_move_iterator(values.end()));
  return r;
}
Requirement Requirement::NotIn(std::string key, std::vector<std::string> values) {
  Requirement r(std::move(key));
  r.values_.insert(std::make_move_iterator(values.begin()), std::make_move_iterator(values.end()));
  return r;
}
Requirement Requirement::Exists(std::string key) { return Requirement(std::move(key)); }
Requirement Requirement::DoesNotExist(std::string key) {
  Requirement r(std::move(key));
  r.complement_ = false;
  return r;
}

absl::StatusOr<Requirement> Requirement::Make(std::string key, std::string_view op,
                                              const std::vector<std::string>& values,
                                              std::optional<int> min_values) {
  key = std::string(api::NormalizeLabelKey(key));
  Requirement r(key);
  auto single_int = [&]() -> absl::StatusOr<int64_t> {
    if (values.size() != 1) {
      return absl::InvalidArgumentError(
          StrCat("key ", key, ": operator ", op, " needs a single integer value"));
    }
    auto v = ParseInt(values[0]);
    if (!v) {
      return absl::InvalidArgumentError(
          StrCat("key ", key, ": operator ", op, " needs an integer, got \"", values[0], "\""));
    }
    return *v;
  };
  if (op == "In") {
    r = In(key, values);
  } else if (op == "NotIn") {
    r = NotIn(key, values);
  } else if (op == "Exists") {
  } else if (op == "DoesNotExist") {
    r = DoesNotExist(key);
  } else if (op == "Gt" || op == "Gte") {
    auto v = single_int();
    if (!v.ok()) return v.status();
    if (op == "Gt" && *v == std::numeric_limits<int64_t>::max()) {
      r = DoesNotExist(key);
    } else {
      r.gte_ = op == "Gt" ? *v + 1 : *v;
    }
  } else if (op == "Lt" || op == "Lte") {
    auto v = single_int();
    if (!v.ok()) return v.status();
    if (op == "Lt" && *v == std::numeric_limits<int64_t>::min()) {
      r = DoesNotExist(key);
    } else {
      r.lte_ = op == "Lt" ? *v - 1 : *v;
    }
  } else {
    return absl::InvalidArgumentError(StrCat("key ", key, ": unsupported operator \"", op, "\""));
  }
  r.min_values_ = min_values;
  r.Normalize();
  return r;
}

void Requirement::Normalize() {
  if (gte_ && lte_ && *gte_ > *lte_) {
    complement_ = false;
    values_.clear();
    gte_.reset();
    lte_.reset();
    return;
  }
  if (!complement_ && (gte_ || lte_)) {
    for (auto it = values_.begin(); it != values_.end();) {
      if (!Within(*it, gte_, lte_)) {
        it = values_.erase(it);
      } else {
        ++it;
      }
    }
    gte_.reset();
    lte_.reset();
  }
}

bool Requirement::WithinBounds(std::string_view value) const { return Within(value, gte_, lte_); }

std::string_view Requirement::Operator() const {
  if (complement_) return values_.empty() ? "Exists" : "NotIn";
  return values_.empty() ? "DoesNotExist" : "In";
}

bool Requirement::Has(std::string_view value) const {
  bool member = values_.find(value) != values_.end();
  return (complement_ ? !member : member) && WithinBounds(value);
}

int64_t Requirement::Len() const {
  if (complement_) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(values_.size());
}

bool Requirement::HasIntersection(const Requirement& o) const {
  auto gte = MaxOpt(gte_, o.gte_);
  auto lte = MinOpt(lte_, o.lte_);
  if (gte && lte && *gte > *lte) return false;
  if (complement_ && o.complement_) return true;
  if (complement_) {
    for (const auto& v : o.values_) {
      if (!values_.contains(v) && Within(v, gte, lte)) return true;
    }
    return false;
  }
  if (o.complement_) {
    for (const auto& v : values_) {
      if (!o.values_.contains(v) && Within(v, gte, lte)) return true;
    }
    return false;
  }
  const auto& small = values_.size() <= o.values_.size() ? values_ : o.values_;
  const auto& large = values_.size() <= o.values_.size() ? o.values_ : values_;
  for (const auto& v : small) {
    if (large.contains(v) && Within(v, gte, lte)) return true;
  }
  return false;
}

Requirement Requirement::Intersection(const Requirement& o) const {
  Requirement r(key_);
  r.complement_ = complement_ && o.complement_;
  r.gte_ = MaxOpt(gte_, o.gte_);
  r.lte_ = MinOpt(lte_, o.lte_);
  if (complement_ && o.complement_) {
    r.values_ = values_;
    r.values_.insert(o.values_.begin(), o.values_.end());
  } else if (complement_) {
    for (const auto& v : o.values_) {
      if (!values_.contains(v)) r.values_.insert(v);
    }
  } else if (o.complement_) {
    for (const auto& v : values_) {
      if (!o.values_.contains(v)) r.values_.insert(v);
    }
  } else {
    for (const auto& v : values_) {
      if (o.values_.contains(v)) r.values_.insert(v);
    }
  }
  if (min_values_ || o.min_values_) {
    r.min_values_ = std::max(min_values_.value_or(0), o.min_values_.value_or(0));
  }
  r.Normalize();
  return r;
}

std::optional<std::string> Requirement::Any() const {
  if (!complement_) {
    if (values_.empty()) return std::nullopt;
    return *values_.begin();
  }
  int64_t start = gte_.value_or(1);
  int64_t end = lte_.value_or(std::numeric_limits<int64_t>::max());
  for (int64_t v = start; v <= end; ++v) {
    std::string s = StrCat(v);
    if (!values_.contains(s)) return s;
    if (v == end) break;
  }
  return std::nullopt;
}

std::string Requirement::ToString() const {
  std::string s = StrCat(key_, " ", Operator());
  if (!values_.empty()) {
    std::vector<std::string> shown;
    for (const auto& v : values_) {
      if (shown.size() == 5) break;
      shown.push_back(v);
    }
    StrAppend(s, " [", StrJoin(shown, " "));
    if (values_.size() > 5) StrAppend(s, " and ", values_.size() - 5, " others");
    StrAppend(s, "]");
  }
  if (gte_) StrAppend(s, " >=", *gte_);
  if (lte_) StrAppend(s, " <=", *lte_);
  if (min_values_) StrAppend(s, " minValues ", *min_values_);
  return s;
}

std::vector<api::NodeSelectorRequirement> Requirement::ToSelector() const {
  std::vector<api::NodeSelectorRequirement> out;
  api::NodeSelectorRequirement base{key_, std::string(Operator()), {values_.begin(), values_.end()},
                                    min_values_};
  if (complement_ && values_.empty() && (gte_ || lte_)) {
    // Bounds alone express the requirement.
  } else {
    out.push_back(base);
  }
  if (gte_) out.push_back({key_, "Gte", {StrCat(*gte_)}, out.empty() ? min_values_ : std::nullopt});
  if (lte_) out.push_back({key_, "Lte", {StrCat(*lte_)}, out.empty() ? min_values_ : std::nullopt});
  return out;
}

absl::StatusOr<Requirements> Requirements::FromSelector(
    const std::vector<api::NodeSelectorRequirement>& reqs) {
  Requirements out;
  for (const auto& r : reqs) {
    auto req = Requirement::Make(r.key, r.operator_, r.values, r.min_values);
    if (!req.ok()) return req.status();
    out.Add(*req);
  }
  return out;
}

Requirements Requirements::FromLabels(const api::StringMap& labels) {
  Requirements out;
  for (const auto& [k, v] : labels) {
    out.Add(Requirement::In(std::string(api::NormalizeLabelKey(k)), {v}));
  }
  return out;
}

void Requirements::Add(const Requirement& r) {
  auto it = reqs_.find(r.key());
  if (it == reqs_.end()) {
    reqs_.emplace(r.key(), r);
  } else {
    it->second = it->second.Intersection(r);
  }
}

void Requirements::Add(const Requirements& other) {
  for (const auto& [k, r] : other.reqs_) Add(r);
}

Requirement Requirements::Get(std::string_view key) const {
  auto it = reqs_.find(key);
  if (it == reqs_.end()) return Requirement::Exists(std::string(key));
  return it->second;
}

const Requirement* Requirements::Find(std::string_view key) const {
  auto it = reqs_.find(key);
  return it == reqs_.end() ? nullptr : &it->second;
}

void Requirements::Erase(std::string_view key) {
  auto it = reqs_.find(key);
  if (it != reqs_.end()) reqs_.erase(it);
}

absl::Status Requirements::Intersects(const Requirements& incoming) const {
  std::vector<std::string> errs;
  // Walk the smaller map and look keys up in the larger one.
  for (const auto& [key, in] : incoming.reqs_) {
    auto it = reqs_.find(key);
    if (it == reqs_.end()) continue;
    const Requirement& existing = it->second;
    if (existing.HasIntersection(in)) continue;
    if (IsNegative(in.Operator()) && IsNegative(existing.Operator())) continue;
    errs.push_back(StrCat("key ", key, ", ", in.ToString(), " not in ", existing.ToString()));
  }
  if (errs.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(StrJoin(errs, "; "));
}

absl::Status Requirements::Compatible(
    const Requirements& incoming, const absl::flat_hash_set<std::string_view>& allow_undefined) const {
  std::vector<std::string> errs;
  for (const auto& [key, in] : incoming.reqs_) {
    if (allow_undefined.contains(key) || Has(key) || IsNegative(in.Operator())) continue;
    std::string hint;
    size_t best = 4;
    auto consider = [&](std::string_view candidate) {
      size_t d = EditDistance(key, candidate);
      if (d > 0 && d < best) {
        best = d;
        hint = StrCat(" (typo of \"", candidate, "\"?)");
      }
    };
    for (const auto& [k, unused] : reqs_) consider(k);
    for (std::string_view k : allow_undefined) consider(k);
    errs.push_back(StrCat("label \"", key, "\" does not have known values", hint));
  }
  absl::Status s = Intersects(incoming);
  if (!s.ok()) errs.emplace_back(s.message());
  if (errs.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(StrJoin(errs, "; "));
}

api::StringMap Requirements::Labels() const {
  api::StringMap out;
  for (const auto& [k, r] : reqs_) {
    if (!r.complement() && r.values().size() == 1) out.emplace(k, *r.values().begin());
  }
  return out;
}

std::string Requirements::ToString() const {
  std::vector<std::string> parts;
  for (const auto& [k, r] : reqs_) parts.push_back(r.ToString());
  return StrJoin(parts, ", ");
}

std::vector<api::NodeSelectorRequirement> Requirements::ToSelector() const {
  std::vector<api::NodeSelectorRequirement> out;
  for (const auto& [k, r] : reqs_) {
    auto s = r.ToSelector();
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

bool SelectorMatches(const api::LabelSelector& selector, const api::StringMap& labels) {
  for (const auto& [k, v] : selector.match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const auto& e : selector.match_expressions) {
    auto it = labels.find(e.key);
    bool present = it != labels.end();
    bool in = present && std::find(e.values.begin(), e.values.end(), it->second) != e.values.end();
    if (e.operator_ == "In" && !in) return false;
    if (e.operator_ == "NotIn" && in) return false;
    if (e.operator_ == "Exists" && !present) return false;
    if (e.operator_ == "DoesNotExist" && present) return false;
  }
  return true;
}

}  // namespace joinery::scheduling
