#include "joinery/common/quantity.h"

#include <cctype>
#include <limits>

#include "absl/strings/str_cat.h"

namespace joinery {
namespace {

using i128 = __int128;
// Largest magnitude we accept, in milli-units (~9.2e15 units): keeps every sum of a few thousand
// quantities far from int64 overflow.
constexpr i128 kMaxMilli = std::numeric_limits<int64_t>::max() / 1024;

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("quantity \"", text, "\": ", why));
}

}  // namespace

absl::StatusOr<Quantity> Quantity::Parse(std::string_view text) {
  std::string_view s = text;
  if (s.empty()) return Invalid(text, "is empty");
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  // Mantissa: digits, optional fraction. Leading zeros are harmless; we cap significant digits.
  i128 mantissa = 0;
  int frac_digits = 0;
  int digits = 0;
  bool seen_point = false;
  bool dropped_nonzero = false;  // fraction digits beyond our precision that were not zero
  size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (seen_point) return Invalid(text, "has two decimal points");
      seen_point = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    if (mantissa == 0 && c == '0' && !seen_point) continue;  // leading zero
    if (digits >= 30) {
      // More significant digits than any int64 milli value can hold; only trailing fraction
      // digits may be dropped (they only matter for rounding up).
      if (!seen_point) return Invalid(text, "is too large");
      dropped_nonzero |= c != '0';
      continue;
    }
    mantissa = mantissa * 10 + (c - '0');
    if (mantissa != 0) ++digits;
    if (seen_point) ++frac_digits;
  }
  // `i` indexes the suffix. There must have been at least one digit.
  bool any_digit = false;
  for (size_t j = 0; j < i; ++j) any_digit |= std::isdigit(static_cast<unsigned char>(s[j])) != 0;
  if (!any_digit) return Invalid(text, "must start with a number");
  std::string_view suffix = s.substr(i);

  int pow2 = 0;   // multiplier 2^pow2
  int pow10 = 0;  // multiplier 10^pow10
  Format format = Format::kDecimalSI;
  if (suffix.empty()) {
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    static constexpr std::string_view kBin = "KMGTPE";
    size_t k = kBin.find(suffix[0]);
    if (k == std::string_view::npos) return Invalid(text, "has an unknown suffix");
    pow2 = 10 * static_cast<int>(k + 1);
    format = Format::kBinarySI;
  } else if (suffix.size() == 1 && std::string_view("numkMGTPE").find(suffix[0]) !=
                                       std::string_view::npos) {
    switch (suffix[0]) {
      case 'n': pow10 = -9; break;
      case 'u': pow10 = -6; break;
      case 'm': pow10 = -3; break;
      case 'k': pow10 = 3; break;
      case 'M': pow10 = 6; break;
      case 'G': pow10 = 9; break;
      case 'T': pow10 = 12; break;
      case 'P': pow10 = 15; break;
      case 'E': pow10 = 18; break;
    }
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::string_view exp = suffix.substr(1);
    bool neg_exp = false;
    if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) {
      neg_exp = exp[0] == '-';
      exp.remove_prefix(1);
    }
    if (exp.empty() || exp.size() > 4) return Invalid(text, "has an invalid exponent");
    int e = 0;
    for (char c : exp) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return Invalid(text, "has an invalid exponent");
      e = e * 10 + (c - '0');
    }
    pow10 = neg_exp ? -e : e;
    format = Format::kDecimalExponent;
  } else {
    return Invalid(text, "has an unknown suffix");
  }

  // milli = mantissa * 2^pow2 * 10^(pow10 + 3 - frac_digits), rounded up.
  int p10 = pow10 + 3 - frac_digits;
  i128 v = mantissa;
  if (v != 0) {
    for (int k = 0; k < pow2; ++k) {
      v *= 2;
      if (v > kMaxMilli) return Invalid(text, "is too large");
    }
    if (p10 > 0) {
      for (int k = 0; k < p10; ++k) {
        v *= 10;
        if (v > kMaxMilli) return Invalid(text, "is too large");
      }
    } else if (p10 < 0) {
      bool remainder = dropped_nonzero;
      for (int k = 0; k < -p10 && v != 0; ++k) {
        remainder |= (v % 10) != 0;
        v /= 10;
      }
      if (remainder || v == 0) v += 1;  // round up to the next milli, as Kubernetes does
    }
    if (v > kMaxMilli) return Invalid(text, "is too large");
  }
  int64_t milli = static_cast<int64_t>(v);
  return FromMilli(negative ? -milli : milli, format);
}

int64_t Quantity::value() const {
  if (milli_ >= 0) return (milli_ + 999) / 1000;
  return milli_ / 1000;
}

std::string Quantity::ToString() const {
  if (milli_ % 1000 != 0) return absl::StrCat(milli_, "m");
  int64_t v = milli_ / 1000;
  if (v == 0) return "0";
  if (format_ == Format::kBinarySI) {
    static constexpr const char* kBin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int k = 0;
    while (k < 6 && v % 1024 == 0) {
      v /= 1024;
      ++k;
    }
    return absl::StrCat(v, kBin[k]);
  }
  static constexpr const char* kDec[] = {"", "k", "M", "G", "T", "P", "E"};
  int k = 0;
  while (k < 6 && v % 1000 == 0) {
    v /= 1000;
    ++k;
  }
  if (format_ == Format::kDecimalExponent) return k == 0 ? absl::StrCat(v) : absl::StrCat(v, "e", 3 * k);
  return absl::StrCat(v, kDec[k]);
}

void AddInto(ResourceList& a, const ResourceList& b) {
  for (const auto& [k, q] : b) {
    auto it = a.find(k);
    if (it == a.end()) {
      a.emplace(k, q);
    } else {
      it->second += q;
    }
  }
}

ResourceList Subtract(const ResourceList& a, const ResourceList& b) {
  ResourceList out = a;
  for (const auto& [k, q] : b) {
    auto it = out.find(k);
    if (it == out.end()) {
      out.emplace(k, Quantity::FromMilli(-q.milli(), q.format()));
    } else {
      it->second -= q;
    }
  }
  return out;
}

bool Fits(const ResourceList& requests, const ResourceList& available) {
  for (const auto& [k, q] : requests) {
    if (q.milli() <= 0) continue;
    auto it = available.find(k);
    if (it == available.end() || it->second < q) return false;
  }
  return true;
}

ResourceList MaxOf(const ResourceList& a, const ResourceList& b) {
  ResourceList out = a;
  for (const auto& [k, q] : b) {
    auto it = out.find(k);
    if (it == out.end()) {
      out.emplace(k, q);
    } else if (it->second < q) {
      it->second = q;
    }
  }
  return out;
}

std::string ResourceListToString(const ResourceList& r) {
  std::string out;
  for (const auto& [k, q] : r) {
    if (!out.empty()) out += ", ";
    absl::StrAppend(&out, k, "=", q.ToString());
  }
  return out;
}

absl::StatusOr<Duration> ParseDuration(std::string_view text, bool allow_never) {
  if (allow_never && text == "Never") return Duration{std::nullopt, std::string(text)};
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "duration \"", text, "\" must match ", allow_never ? "^(([0-9]+(s|m|h))+|Never)$" : "^([0-9]+(s|m|h))+$"));
  };
  if (text.empty()) return bad();
  i128 total = 0;
  i128 cur = 0;
  bool have_digits = false;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      cur = cur * 10 + (c - '0');
      have_digits = true;
      if (cur > (i128{1} << 50)) return bad();
      continue;
    }
    if (!have_digits) return bad();
    switch (c) {
      case 's': total += cur; break;
      case 'm': total += cur * 60; break;
      case 'h': total += cur * 3600; break;
      default: return bad();
    }
    if (total > (i128{1} << 55)) return bad();
    cur = 0;
    have_digits = false;
  }
  if (have_digits) return bad();  // trailing number without a unit
  return Duration{static_cast<int64_t>(total), std::string(text)};
}

}  // namespace joinery
