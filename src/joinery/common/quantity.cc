#include "joinery/common/quantity.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "joinery/common/strings.h"

namespace joinery {
namespace {

__extension__ typedef __int128 i128;
// Largest magnitude we accept, in milli-units: 2^59 milli, about 5.8e14 units (512 TiB of bytes).
// That holds every real instance (the largest EC2 instance store is ~328 TiB, the largest memory
// 32 TiB) while sums of 16 maximal quantities still fit in int64. (It used to be int64 max / 1024
// milli, about 9e12 units, which rejected "32Ti" of memory and "64Ti" EBS volumes.)
constexpr i128 kMaxMilli = std::numeric_limits<int64_t>::max() / 16;
// Significant mantissa digits kept; more cannot matter for a value bounded by kMaxMilli except
// through rounding, which `dropped_nonzero` tracks.
constexpr size_t kMaxDigits = 40;

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(StrCat("quantity \"", text, "\": ", why));
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
  // Mantissa: digits, optional fraction. Significant digits are kept as a decimal digit string so
  // that the arithmetic below is exact whatever the suffix (a long fraction times 2^60 would not fit
  // in any machine integer).
  std::string digits;  // significant digits, no leading zeros
  int64_t frac_digits = 0;
  bool seen_point = false;
  bool any_digit = false;
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
    any_digit = true;
    if (digits.size() >= kMaxDigits) {
      // More significant digits than any int64 milli value needs; only trailing fraction digits may
      // be dropped (they only matter for rounding up).
      if (!seen_point) return Invalid(text, "is too large");
      dropped_nonzero |= c != '0';
      continue;
    }
    if (seen_point) ++frac_digits;
    if (digits.empty() && c == '0') continue;  // leading zero
    digits.push_back(c);
  }
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
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        return Invalid(text, "has an invalid exponent");
      }
      e = e * 10 + (c - '0');
    }
    pow10 = neg_exp ? -e : e;
    format = Format::kDecimalExponent;
  } else {
    return Invalid(text, "has an unknown suffix");
  }

  // milli = digits * 2^pow2 * 10^(pow10 + 3 - frac_digits), rounded up.
  if (digits.empty()) return FromMilli(0, format);  // zero (dropped digits cannot be non-zero)
  int64_t p10 = int64_t{pow10} + 3 - frac_digits;
  // Multiply the decimal digit string by 2^pow2 (at most 60 doublings of a short string).
  for (int k = 0; k < pow2; ++k) {
    int carry = 0;
    for (size_t j = digits.size(); j-- > 0;) {
      int d = (digits[j] - '0') * 2 + carry;
      digits[j] = static_cast<char>('0' + d % 10);
      carry = d / 10;
    }
    if (carry != 0) digits.insert(digits.begin(), static_cast<char>('0' + carry));
  }
  // Split into the integer part (in milli-units) and a discarded fraction that forces rounding up.
  const int64_t n = static_cast<int64_t>(digits.size());
  int64_t int_len = n + p10;  // digits of the integer part, counting appended zeros
  bool round_up = dropped_nonzero;
  if (p10 < 0) {
    int64_t keep = std::max<int64_t>(int_len, 0);
    for (int64_t j = keep; j < n; ++j) round_up |= digits[static_cast<size_t>(j)] != '0';
  }
  // kMaxMilli has 18 digits; anything longer is too large.
  if (int_len > 18) return Invalid(text, "is too large");
  i128 v = 0;
  for (int64_t j = 0; j < int_len; ++j) {
    v = v * 10 + (j < n ? digits[static_cast<size_t>(j)] - '0' : 0);
  }
  if (round_up) v += 1;  // round up to the next milli, as Kubernetes does
  if (v > kMaxMilli) return Invalid(text, "is too large");
  int64_t milli = static_cast<int64_t>(v);
  return FromMilli(negative ? -milli : milli, format);
}

int64_t Quantity::value() const {
  if (milli_ >= 0) return (milli_ + 999) / 1000;
  return milli_ / 1000;
}

std::string Quantity::ToString() const {
  if (milli_ % 1000 != 0) return StrCat(milli_, "m");
  int64_t v = milli_ / 1000;
  if (v == 0) return "0";
  if (format_ == Format::kBinarySI) {
    static constexpr const char* kBin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int k = 0;
    while (k < 6 && v % 1024 == 0) {
      v /= 1024;
      ++k;
    }
    return StrCat(v, kBin[k]);
  }
  static constexpr const char* kDec[] = {"", "k", "M", "G", "T", "P", "E"};
  int k = 0;
  while (k < 6 && v % 1000 == 0) {
    v /= 1000;
    ++k;
  }
  if (format_ == Format::kDecimalExponent) return k == 0 ? StrCat(v) : StrCat(v, "e", 3 * k);
  return StrCat(v, kDec[k]);
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
    StrAppend(out, k, "=", q.ToString());
  }
  return out;
}

absl::StatusOr<Duration> ParseDuration(std::string_view text, bool allow_never) {
  if (allow_never && text == "Never") return Duration{std::nullopt, std::string(text)};
  auto bad = [&] {
    return absl::InvalidArgumentError(StrCat(
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
