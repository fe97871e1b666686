#include "joinery/scheduling/taints.h"

#include "joinery/common/strings.h"

namespace joinery::scheduling {

bool Tolerates(const api::Toleration& tol, const api::Taint& taint) {
  if (!tol.effect.empty() && tol.effect != taint.effect) return false;
  if (tol.key.empty()) return tol.operator_ == "Exists";
  if (tol.key != taint.key) return false;
  if (tol.operator_ == "Exists") return true;
  // Equal (the default when empty).
  return tol.value == taint.value;
}

bool ToleratesAll(const std::vector<api::Toleration>& tolerations, const api::Taint& taint) {
  for (const auto& t : tolerations) {
    if (Tolerates(t, taint)) return true;
  }
  return false;
}

std::string TaintToString(const api::Taint& t) {
  if (t.value.empty()) return StrCat(t.key, ":", t.effect);
  return StrCat(t.key, "=", t.value, ":", t.effect);
}

absl::Status CheckTaints(const std::vector<api::Taint>& taints,
                         const std::vector<api::Toleration>& tolerations) {
  std::vector<std::string> errs;
  for (const auto& taint : taints) {
    if (!ToleratesAll(tolerations, taint)) {
      errs.push_back(StrCat("did not tolerate taint=", TaintToString(taint)));
    }
  }
  if (errs.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(StrJoin(errs, "; "));
}

}  // namespace joinery::scheduling
