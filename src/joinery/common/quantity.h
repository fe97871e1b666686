// Kubernetes resource quantities ("500m", "64Gi", "1e3", "1.5") and durations ("300s", "720h",
// "Never").
//
// A Quantity is an exact integer count of thousandths (milli-units), like Kubernetes' MilliValue():
// finer precision is rounded up, as Kubernetes does when it reports milli values. It remembers the
// notation it was written in (binary suffixes, decimal suffixes, or exponent) so that it prints
// back in the same style. Values are immutable and cheap to copy; all functions are thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace joinery {

// a + b and a − b clamped to the int64 range.
constexpr int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return r;
}
constexpr int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) {
    return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return r;
}

class Quantity {
 public:
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

  constexpr Quantity() = default;
  static constexpr Quantity FromMilli(int64_t milli, Format f = Format::kDecimalSI) {
    Quantity q;
    q.milli_ = milli;
    q.format_ = f;
    return q;
  }
  static constexpr Quantity FromUnits(int64_t units, Format f = Format::kDecimalSI) {
    return FromMilli(units * 1000, f);
  }

  // Parses Kubernetes quantity syntax exactly. Errors (InvalidArgument) name the problem; values
  // beyond ±5.7e14 units (int64 max / 16 milli) are rejected rather than wrapped.
  static absl::StatusOr<Quantity> Parse(std::string_view text);

  int64_t milli() const { return milli_; }
  // Whole units, rounded up (Kubernetes' Value()).
  int64_t value() const;
  Format format() const { return format_; }
  bool IsZero() const { return milli_ == 0; }

  // Canonical Kubernetes-style text: "500m", "4", "24Gi", "1k".
  std::string ToString() const;

  // Arithmetic saturates at the int64 range: sums of hostile inputs clamp instead of overflowing.
  // As in Kubernetes, a zero quantity takes the other operand's format, so that a sum started from
  // an empty value prints like its parts ("30310Mi", not bytes).
  Quantity operator+(const Quantity& o) const {
    return FromMilli(SaturatingAdd(milli_, o.milli_), milli_ == 0 ? o.format_ : format_);
  }
  Quantity operator-(const Quantity& o) const {
    return FromMilli(SaturatingSub(milli_, o.milli_), format_);
  }
  Quantity& operator+=(const Quantity& o) {
    if (milli_ == 0) format_ = o.format_;
    milli_ = SaturatingAdd(milli_, o.milli_);
    return *this;
  }
  Quantity& operator-=(const Quantity& o) {
    milli_ = SaturatingSub(milli_, o.milli_);
    return *this;
  }
  bool operator==(const Quantity& o) const { return milli_ == o.milli_; }
  std::strong_ordering operator<=>(const Quantity& o) const { return milli_ <=> o.milli_; }

 private:
  int64_t milli_ = 0;
  Format format_ = Format::kDecimalSI;
};

// A resource name → quantity map, ordered by name so that output is deterministic.
using ResourceList = std::map<std::string, Quantity, std::less<>>;

// Adds `b` into `a` key by key.
void AddInto(ResourceList& a, const ResourceList& b);
// a - b key by key (keys only in b appear negated).
ResourceList Subtract(const ResourceList& a, const ResourceList& b);
// True when every quantity in `requests` is ≤ the same key in `available` (absent = 0).
bool Fits(const ResourceList& requests, const ResourceList& available);
// Key-wise max of a and b.
ResourceList MaxOf(const ResourceList& a, const ResourceList& b);
// "cpu=4, memory=24Gi, pods=1" — the form used in messages.
std::string ResourceListToString(const ResourceList& r);

// A Karpenter duration field: a whole number of seconds, or Never (nullopt).
struct Duration {
  std::optional<int64_t> seconds;  // nullopt means "Never"
  std::string text;                // as written, e.g. "720h"
  bool never() const { return !seconds.has_value(); }
  bool operator==(const Duration&) const = default;
};

// Parses "300s", "1h30m", "720h" (pattern ^([0-9]+(s|m|h))+$) and, if allow_never, "Never".
absl::StatusOr<Duration> ParseDuration(std::string_view text, bool allow_never);

}  // namespace joinery
