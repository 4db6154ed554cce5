#include "bt2/claims.h"

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace repro::bt2 {
namespace {

std::string Describe(const Operand& operand, const MetricStats& stats) {
  if (operand.row().empty()) return absl::StrFormat("%.2f", operand.value());
  return absl::StrFormat("%s %s %.2f ± %.2f", operand.row(), operand.metric(), stats.mean,
                         stats.std);
}

}  // namespace

bool ConditionHolds(const Condition& condition, double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return false;
  const double tol = condition.tolerance();
  switch (condition.relation()) {
    case Condition::GREATER:
      return a > b + tol;
    case Condition::LESS:
      return a < b - tol;
    case Condition::WITHIN:
      return std::abs(a - b) <= tol;
    default:
      return false;
  }
}

Claim JudgeClaim(const ClaimSpec& spec, const MetricLookup& lookup) {
  Claim claim;
  claim.set_id(spec.id());
  claim.set_text(spec.text());
  bool holds = true;
  std::vector<std::string> evidence;
  for (const Condition& condition : spec.conditions()) {
    const auto value = [&lookup](const Operand& operand) {
      return operand.row().empty() ? MetricStats{operand.value(), 0}
                                   : lookup(operand.row(), operand.metric());
    };
    const MetricStats a = value(condition.lhs());
    const MetricStats b = value(condition.rhs());
    const bool ok = ConditionHolds(condition, a.mean, b.mean);
    holds = holds && ok;
    const double tol = condition.tolerance();
    std::string test;
    switch (condition.relation()) {
      case Condition::GREATER:
        test = absl::StrFormat("Δ %+.2f > %+.2f", a.mean - b.mean, tol);
        break;
      case Condition::LESS:
        test = absl::StrFormat("Δ %+.2f < %+.2f", a.mean - b.mean, -tol);
        break;
      default:
        test = absl::StrFormat("|Δ| %.2f <= %.2f", std::abs(a.mean - b.mean), tol);
        break;
    }
    evidence.push_back(absl::StrCat(Describe(condition.lhs(), a), " vs ",
                                    Describe(condition.rhs(), b), ": ", test, ok ? " ✓" : " ✗"));
  }
  claim.set_holds(holds);
  claim.set_evidence(absl::StrJoin(evidence, "; "));
  return claim;
}

}  // namespace repro::bt2
