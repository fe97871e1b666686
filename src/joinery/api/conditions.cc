#include "joinery/api/conditions.h"

#include <algorithm>
#include <utility>

#include "joinery/common/clock.h"

namespace joinery::api {

bool SetCondition(std::vector<Condition>& conditions, Condition c, absl::Time now) {
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const Condition& e) { return e.type == c.type; });
  if (it == conditions.end()) {
    c.last_transition_time = FormatRfc3339(now);
    conditions.push_back(std::move(c));
    return true;
  }
  if (it->status != c.status) {
    c.last_transition_time = FormatRfc3339(now);
  } else if (it->reason == c.reason && it->message == c.message &&
             it->observed_generation == c.observed_generation) {
    return false;
  } else {
    c.last_transition_time = it->last_transition_time;
  }
  *it = std::move(c);
  return true;
}

const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool IsTrue(const std::vector<Condition>& conditions, std::string_view type) {
  const Condition* c = FindCondition(conditions, type);
  return c != nullptr && c->status == "True";
}

bool IsNodeReady(const Node& node) {
  return std::any_of(node.conditions.begin(), node.conditions.end(), [](const NodeCondition& c) {
    return c.type == "Ready" && c.status == "True";
  });
}

bool RemoveCondition(std::vector<Condition>& conditions, std::string_view type) {
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const Condition& e) { return e.type == type; });
  if (it == conditions.end()) return false;
  conditions.erase(it);
  return true;
}

Condition MakeCondition(std::string type, std::string status, std::string reason,
                        std::string message, int64_t observed_generation) {
  Condition c;
  c.type = std::move(type);
  c.status = std::move(status);
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.observed_generation = observed_generation;
  return c;
}

}  // namespace joinery::api
