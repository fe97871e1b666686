#include "joinery/kube/label_selector.h"

#include <algorithm>
#include <string>

#include "joinery/common/strings.h"

namespace joinery::kube {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '/';
}
bool IsValueChar(char c) { return IsKeyChar(c) && c != '/'; }

bool ValidKey(std::string_view k) {
  return !k.empty() && std::all_of(k.begin(), k.end(), IsKeyChar);
}
bool ValidValue(std::string_view v) { return std::all_of(v.begin(), v.end(), IsValueChar); }

absl::Status Bad(std::string_view selector, std::string_view why) {
  return absl::InvalidArgumentError(
      StrCat("unable to parse label selector \"", selector, "\": ", why));
}

// Splits on commas that are not inside parentheses.
absl::StatusOr<std::vector<std::string_view>> SplitTopLevel(std::string_view s) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(') {
      if (++depth > 1) return Bad(s, "nested parentheses");
    } else if (s[i] == ')') {
      if (--depth < 0) return Bad(s, "unbalanced parentheses");
    } else if (s[i] == ',' && depth == 0) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  if (depth != 0) return Bad(s, "unbalanced parentheses");
  parts.push_back(s.substr(start));
  return parts;
}

std::string_view LabelValue(const nlohmann::json& labels, const std::string& key, bool* found) {
  *found = false;
  if (!labels.is_object()) return {};
  auto it = labels.find(key);
  if (it == labels.end() || !it->is_string()) return {};
  *found = true;
  return it->get_ref<const std::string&>();
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(std::string_view selector) {
  LabelSelector out;
  if (Trim(selector).empty()) return out;
  auto parts_or = SplitTopLevel(selector);
  if (!parts_or.ok()) return parts_or.status();
  for (std::string_view raw : *parts_or) {
    std::string_view part = Trim(raw);
    if (part.empty()) return Bad(selector, "empty requirement");
    Requirement req;
    if (part.front() == '!') {
      std::string_view key = Trim(part.substr(1));
      if (!ValidKey(key)) return Bad(selector, StrCat("invalid key \"", key, "\""));
      req.key = std::string(key);
      req.op = Op::kDoesNotExist;
      out.requirements_.push_back(std::move(req));
      continue;
    }
    size_t paren = part.find('(');
    if (paren != std::string_view::npos) {
      // key in (a,b) / key notin (a,b)
      if (part.back() != ')') return Bad(selector, "expected ')' at the end of a set");
      std::string_view head = Trim(part.substr(0, paren));
      size_t sp = head.find_first_of(" \t");
      if (sp == std::string_view::npos) return Bad(selector, "expected 'in' or 'notin'");
      std::string_view key = Trim(head.substr(0, sp));
      std::string_view word = Trim(head.substr(sp));
      if (!ValidKey(key)) return Bad(selector, StrCat("invalid key \"", key, "\""));
      if (word == "in") {
        req.op = Op::kIn;
      } else if (word == "notin") {
        req.op = Op::kNotIn;
      } else {
        return Bad(selector, StrCat("unknown operator \"", word, "\""));
      }
      req.key = std::string(key);
      std::string_view inner = part.substr(paren + 1, part.size() - paren - 2);
      size_t start = 0;
      while (true) {
        size_t comma = inner.find(',', start);
        std::string_view v =
            Trim(inner.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                      : comma - start));
        if (!ValidValue(v)) return Bad(selector, StrCat("invalid value \"", v, "\""));
        req.values.emplace_back(v);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      std::sort(req.values.begin(), req.values.end());
      req.values.erase(std::unique(req.values.begin(), req.values.end()), req.values.end());
      out.requirements_.push_back(std::move(req));
      continue;
    }
    size_t neq = part.find("!=");
    size_t eq = part.find('=');
    if (neq != std::string_view::npos) {
      req.op = Op::kNotEquals;
      req.key = std::string(Trim(part.substr(0, neq)));
      req.values.emplace_back(Trim(part.substr(neq + 2)));
    } else if (eq != std::string_view::npos) {
      req.op = Op::kEquals;
      req.key = std::string(Trim(part.substr(0, eq)));
      size_t vstart = eq + 1;
      if (vstart < part.size() && part[vstart] == '=') ++vstart;
      req.values.emplace_back(Trim(part.substr(vstart)));
    } else {
      req.op = Op::kExists;
      req.key = std::string(part);
    }
    if (!ValidKey(req.key)) return Bad(selector, StrCat("invalid key \"", req.key, "\""));
    for (const std::string& v : req.values) {
      if (!ValidValue(v)) return Bad(selector, StrCat("invalid value \"", v, "\""));
    }
    out.requirements_.push_back(std::move(req));
  }
  return out;
}

absl::StatusOr<LabelSelector> LabelSelector::FromJson(const nlohmann::json& selector) {
  LabelSelector out;
  if (selector.is_null()) return out;
  if (!selector.is_object()) return absl::InvalidArgumentError("label selector is not an object");
  if (auto it = selector.find("matchLabels"); it != selector.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return absl::InvalidArgumentError(StrCat("matchLabels[", k, "] is not a string"));
      out.requirements_.push_back({k, Op::kEquals, {v.get<std::string>()}});
    }
  }
  if (auto it = selector.find("matchExpressions"); it != selector.end() && it->is_array()) {
    for (const auto& e : *it) {
      Requirement req;
      req.key = e.value("key", "");
      std::string op = e.value("operator", "");
      if (op == "In") {
        req.op = Op::kIn;
      } else if (op == "NotIn") {
        req.op = Op::kNotIn;
      } else if (op == "Exists") {
        req.op = Op::kExists;
      } else if (op == "DoesNotExist") {
        req.op = Op::kDoesNotExist;
      } else {
        return absl::InvalidArgumentError(StrCat("unknown label selector operator \"", op, "\""));
      }
      if (auto v = e.find("values"); v != e.end() && v->is_array()) {
        for (const auto& s : *v) {
          if (s.is_string()) req.values.push_back(s.get<std::string>());
        }
      }
      if ((req.op == Op::kIn || req.op == Op::kNotIn) && req.values.empty()) {
        return absl::InvalidArgumentError(StrCat("operator ", op, " needs values"));
      }
      out.requirements_.push_back(std::move(req));
    }
  }
  return out;
}

bool LabelSelector::Matches(const nlohmann::json& labels) const {
  for (const Requirement& r : requirements_) {
    bool found = false;
    std::string_view v = LabelValue(labels, r.key, &found);
    bool in_values = found && std::find(r.values.begin(), r.values.end(), v) != r.values.end();
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        if (!in_values) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        // As in Kubernetes: an absent key satisfies "!=" and "notin".
        if (in_values) return false;
        break;
      case Op::kExists:
        if (!found) return false;
        break;
      case Op::kDoesNotExist:
        if (found) return false;
        break;
    }
  }
  return true;
}

std::string LabelSelector::ToString() const {
  std::vector<std::string> parts;
  for (const Requirement& r : requirements_) {
    switch (r.op) {
      case Op::kEquals:
        parts.push_back(StrCat(r.key, "=", r.values.empty() ? "" : r.values[0]));
        break;
      case Op::kNotEquals:
        parts.push_back(StrCat(r.key, "!=", r.values.empty() ? "" : r.values[0]));
        break;
      case Op::kIn:
        parts.push_back(StrCat(r.key, " in (", StrJoin(r.values, ","), ")"));
        break;
      case Op::kNotIn:
        parts.push_back(StrCat(r.key, " notin (", StrJoin(r.values, ","), ")"));
        break;
      case Op::kExists:
        parts.push_back(r.key);
        break;
      case Op::kDoesNotExist:
        parts.push_back(StrCat("!", r.key));
        break;
    }
  }
  return StrJoin(parts, ",");
}

}  // namespace joinery::kube
