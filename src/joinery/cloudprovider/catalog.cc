// The instance catalog: a small CSV reader, the per-type derivation of capacity, overhead, labels
// and offerings (following Karpenter's AWS provider, pkg/providers/instancetype/types.go, with
// AL2023 and no EC2NodeClass kubelet overrides), and the embedded and file-backed entry points.
// docs/catalog.md describes the derivation and its caveats.
#include "joinery/cloudprovider/catalog.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <variant>

#include "joinery/api/labels.h"
#include "joinery/cloudprovider/embedded_data.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"

namespace joinery::cloudprovider {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;
// A replacement catalog file larger than this is refused rather than read into memory.
constexpr std::uintmax_t kMaxCatalogFileBytes = 64ull << 20;
// Pods when a type has no ENI-limited figure (Karpenter's default for non-ENI-limited AMI
// families).
constexpr int64_t kDefaultMaxPods = 110;

absl::Status Invalid(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(where, ": ", what));
}

// ----------------------------------------------------------------------------------------------
// CSV

struct CsvRecord {
  int64_t line = 0;                 // 1-based line on which the record starts
  std::vector<std::string> fields;  // "" = blank cell = absent value
};

struct CsvTable {
  std::string source;  // file name for messages
  std::vector<std::string> columns;
  std::vector<CsvRecord> records;

  // Index of `name` in the header, or nullopt.
  std::optional<size_t> Column(std::string_view name) const {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == name) return i;
    }
    return std::nullopt;
  }
  std::string Where(int64_t line) const { return StrCat(source, ":", line); }
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 4180 CSV with some tolerance: LF, CRLF or CR line ends; blanks around fields ignored; quoted
// fields may hold commas, doubled quotes and line breaks; a quote inside an unquoted field is taken
// literally; blank lines are skipped. The first non-blank record is the header; every later record
// must have as many fields as it. Errors name the source and line.
absl::StatusOr<CsvTable> ParseCsv(std::string_view text, std::string_view source) {
  CsvTable table;
  table.source = std::string(source);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte-order mark
  const size_t n = text.size();
  size_t i = 0;
  int64_t line = 1;
  bool have_header = false;
  while (i < n) {
    const int64_t record_line = line;
    std::vector<std::string> fields;
    bool any_quoted = false;
    for (;;) {  // one field per iteration
      std::string field;
      size_t j = i;
      while (j < n && IsBlank(text[j])) ++j;
      if (j < n && text[j] == '"') {
        any_quoted = true;
        const int64_t quote_line = line;
        i = j + 1;
        for (;;) {
          if (i >= n) {
            return Invalid(table.Where(quote_line),
                           StrCat("field ", fields.size() + 1, ": unterminated quoted field"));
          }
          const char c = text[i++];
          if (c == '"') {
            if (i < n && text[i] == '"') {
              field.push_back('"');
              ++i;
              continue;
            }
            break;
          }
          if (c == '\n' || (c == '\r' && (i >= n || text[i] != '\n'))) ++line;
          field.push_back(c);
        }
        while (i < n && IsBlank(text[i])) ++i;
        if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          return Invalid(table.Where(line), StrCat("field ", fields.size() + 1,
                                                   ": unexpected text after a closing quote"));
        }
      } else {
        const size_t start = i;
        while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') ++i;
        field = std::string(TrimBlanks(text.substr(start, i - start)));
      }
      fields.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      // End of record: consume one line break (or reach the end of the text).
      if (i < n && text[i] == '\r') ++i;
      if (i < n && text[i] == '\n') ++i;
      ++line;
      break;
    }
    if (fields.size() == 1 && fields[0].empty() && !any_quoted) continue;  // blank line
    if (!have_header) {
      have_header = true;
      for (size_t c = 0; c < fields.size(); ++c) {
        if (fields[c].empty()) {
          return Invalid(table.Where(record_line), StrCat("header field ", c + 1, " is empty"));
        }
        for (size_t d = 0; d < c; ++d) {
          if (fields[d] == fields[c]) {
            return Invalid(table.Where(record_line),
                           StrCat("header names column \"", fields[c], "\" twice"));
          }
        }
      }
      table.columns = std::move(fields);
      continue;
    }
    if (fields.size() != table.columns.size()) {
      return Invalid(table.Where(record_line),
                     StrCat("expected ", table.columns.size(), " fields (as in the header), found ",
                            fields.size()));
    }
    table.records.push_back({record_line, std::move(fields)});
  }
  if (!have_header) return Invalid(table.source, "no header row");
  return table;
}

// ----------------------------------------------------------------------------------------------
// Rows: the typed facts of one instance type, merged from the CSV tables.

struct TypeRow {
  std::string origin;  // "source:line" of the defining row, for messages
  std::string name;
  // instance-types.csv
  std::string family;
  std::string arch;
  std::optional<int64_t> vcpu;
  std::optional<int64_t> memory_mib;
  std::optional<int64_t> gpu_count;
  std::string gpu_manufacturer;
  std::string gpu_name;
  std::optional<int64_t> gpu_memory_mib;
  std::optional<int64_t> neuron_device_count;
  std::optional<int64_t> neuron_core_count;
  std::string neuron_name;
  std::optional<int64_t> max_pods_eni;
  std::optional<double> network_gbps;
  std::optional<int64_t> local_nvme_gib;
  std::string hypervisor;
  std::optional<bool> bare_metal;
  // instance-types-extra.csv
  std::string category;
  std::string size;
  std::optional<int64_t> family_generation_number;
  std::string cpu_manufacturer;
  std::optional<int64_t> cpu_sustained_clock_mhz;
  std::optional<int64_t> ebs_bandwidth_mbps;
  std::optional<bool> encryption_in_transit;
  std::optional<bool> capability_flex;
  std::string accelerator_name;
  std::string accelerator_manufacturer;
  std::optional<int64_t> accelerator_count;
  std::optional<int64_t> branch_enis;
  std::optional<bool> trunking_compatible;
  std::optional<int64_t> efa_count;
  std::optional<int64_t> karpenter_pods;
  std::optional<int64_t> karpenter_pod_eni;
  // prices
  std::optional<double> price;
};

// How a cell is read. Label-valued text is checked as a Kubernetes label value (it becomes one);
// `lower` applies Karpenter's lowerKabobCase (lowercase, spaces to '-') first.
struct LabelText {
  std::string TypeRow::*field;
  bool lower;
};
struct Integer {
  std::optional<int64_t> TypeRow::*field;
  int64_t min;
  int64_t max;
};
struct Decimal {
  std::optional<double> TypeRow::*field;
  double max;
};
struct Flag {
  std::optional<bool> TypeRow::*field;
};
using Reader = std::variant<LabelText, Integer, Decimal, Flag>;

struct ColumnSpec {
  std::string_view name;
  Reader reader;
};

// Bounds keep every derived quantity far inside Quantity's range (2^59 milli-units): memory up to
// 128 TiB, pods up to a million, counts up to a million.
constexpr int64_t kMaxCount = 1'000'000;
constexpr int64_t kMaxMemoryMiB = int64_t{1} << 27;
constexpr int64_t kMaxBig = 1'000'000'000;

const std::vector<ColumnSpec>& KnownColumns() {
  static const auto* const kColumns = new std::vector<ColumnSpec>{
      {"family", LabelText{&TypeRow::family, false}},
      {"arch", LabelText{&TypeRow::arch, false}},
      {"vcpu", Integer{&TypeRow::vcpu, 1, kMaxCount}},
      {"memory_mib", Integer{&TypeRow::memory_mib, 1, kMaxMemoryMiB}},
      {"gpu_count", Integer{&TypeRow::gpu_count, 0, kMaxCount}},
      {"gpu_manufacturer", LabelText{&TypeRow::gpu_manufacturer, true}},
      {"gpu_name", LabelText{&TypeRow::gpu_name, true}},
      {"gpu_memory_mib", Integer{&TypeRow::gpu_memory_mib, 0, kMaxMemoryMiB}},
      {"neuron_device_count", Integer{&TypeRow::neuron_device_count, 0, kMaxCount}},
      {"neuron_core_count", Integer{&TypeRow::neuron_core_count, 0, kMaxCount}},
      {"neuron_name", LabelText{&TypeRow::neuron_name, true}},
      {"max_pods_eni", Integer{&TypeRow::max_pods_eni, 0, kMaxCount}},
      {"network_gbps", Decimal{&TypeRow::network_gbps, 1e6}},
      {"local_nvme_gib", Integer{&TypeRow::local_nvme_gib, 0, kMaxBig}},
      {"hypervisor", LabelText{&TypeRow::hypervisor, true}},
      {"bare_metal", Flag{&TypeRow::bare_metal}},
      {"category", LabelText{&TypeRow::category, false}},
      {"size", LabelText{&TypeRow::size, false}},
      {"family_generation_number", Integer{&TypeRow::family_generation_number, 0, kMaxBig}},
      {"cpu_manufacturer", LabelText{&TypeRow::cpu_manufacturer, true}},
      {"cpu_sustained_clock_mhz", Integer{&TypeRow::cpu_sustained_clock_mhz, 0, kMaxBig}},
      {"ebs_bandwidth_mbps", Integer{&TypeRow::ebs_bandwidth_mbps, 0, kMaxBig}},
      {"encryption_in_transit", Flag{&TypeRow::encryption_in_transit}},
      {"capability_flex", Flag{&TypeRow::capability_flex}},
      {"accelerator_name", LabelText{&TypeRow::accelerator_name, true}},
      {"accelerator_manufacturer", LabelText{&TypeRow::accelerator_manufacturer, true}},
      {"accelerator_count", Integer{&TypeRow::accelerator_count, 0, kMaxCount}},
      {"branch_enis", Integer{&TypeRow::branch_enis, 0, kMaxCount}},
      {"trunking_compatible", Flag{&TypeRow::trunking_compatible}},
      {"efa_count", Integer{&TypeRow::efa_count, 0, kMaxCount}},
      {"karpenter_pods", Integer{&TypeRow::karpenter_pods, 0, kMaxCount}},
      {"karpenter_pod_eni", Integer{&TypeRow::karpenter_pod_eni, 0, kMaxCount}},
      {"on_demand_usd_per_hour", Decimal{&TypeRow::price, 1e6}},
  };
  return *kColumns;
}

// A Kubernetes label value: at most 63 characters of [A-Za-z0-9._-], starting and ending with an
// alphanumeric character.
bool IsLabelValue(std::string_view v) {
  if (v.empty() || v.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(v.front()) || !alnum(v.back())) return false;
  return std::all_of(v.begin(), v.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string LowerKebab(std::string_view v) {
  std::string out(v);
  for (char& c : out) {
    if (c == ' ') c = '-';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Quotes a cell for a message, shortened so that a garbage cell cannot flood the log.
std::string Shown(std::string_view cell) {
  std::string out = "\"";
  for (char c : cell.substr(0, 40)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  }
  if (cell.size() > 40) out += "...";
  out += "\"";
  return out;
}

// Stores one non-blank cell into `row`.
absl::Status ReadCell(const Reader& reader, std::string_view cell, TypeRow& row) {
  if (const auto* r = std::get_if<LabelText>(&reader)) {
    std::string v = r->lower ? LowerKebab(cell) : std::string(cell);
    if (!IsLabelValue(v)) {
      return absl::InvalidArgumentError(
          StrCat(Shown(cell),
                 " is not a valid label value (at most 63 of [A-Za-z0-9._-], "
                 "alphanumeric at both ends)"));
    }
    row.*(r->field) = std::move(v);
  } else if (const auto* r = std::get_if<Integer>(&reader)) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (ec != std::errc() || end != cell.data() + cell.size() || v < r->min || v > r->max) {
      return absl::InvalidArgumentError(
          StrCat("expected an integer from ", r->min, " to ", r->max, ", found ", Shown(cell)));
    }
    row.*(r->field) = v;
  } else if (const auto* r = std::get_if<Decimal>(&reader)) {
    double v = 0;
    auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (ec != std::errc() || end != cell.data() + cell.size() || !std::isfinite(v) || v < 0 ||
        v > r->max) {
      return absl::InvalidArgumentError(
          StrCat("expected a number from 0 to ", r->max, ", found ", Shown(cell)));
    }
    row.*(r->field) = v;
  } else {
    const auto& f = std::get<Flag>(reader);
    const std::string v = LowerKebab(cell);
    if (v != "true" && v != "false") {
      return absl::InvalidArgumentError(StrCat("expected true or false, found ", Shown(cell)));
    }
    row.*(f.field) = v == "true";
  }
  return absl::OkStatus();
}

// The known columns a table has: (column index, spec).
std::vector<std::pair<size_t, const ColumnSpec*>> Bind(const CsvTable& table) {
  std::vector<std::pair<size_t, const ColumnSpec*>> bound;
  for (const ColumnSpec& spec : KnownColumns()) {
    if (auto idx = table.Column(spec.name)) bound.emplace_back(*idx, &spec);
  }
  return bound;
}

absl::Status RequireColumns(const CsvTable& table, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (!table.Column(name)) {
      return Invalid(table.source, StrCat("the header has no \"", name, "\" column"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadRecord(const CsvTable& table, const CsvRecord& rec,
                        const std::vector<std::pair<size_t, const ColumnSpec*>>& bound,
                        TypeRow& row) {
  for (const auto& [idx, spec] : bound) {
    const std::string& cell = rec.fields[idx];
    if (cell.empty()) continue;
    absl::Status s = ReadCell(spec->reader, cell, row);
    if (!s.ok()) return Annotate(s, StrCat(table.Where(rec.line), ": column \"", spec->name, "\""));
  }
  return absl::OkStatus();
}

// Reads the instance-type table: one TypeRow per record, keyed by name (duplicates are errors).
absl::Status ReadTypes(const CsvTable& table, std::map<std::string, TypeRow, std::less<>>& rows) {
  RETURN_IF_ERROR(RequireColumns(table, {"name", "arch", "vcpu", "memory_mib"}));
  const size_t name_col = *table.Column("name");
  const auto bound = Bind(table);
  for (const CsvRecord& rec : table.records) {
    const std::string& name = rec.fields[name_col];
    if (!IsLabelValue(name)) {
      return Invalid(table.Where(rec.line), StrCat("column \"name\": ", Shown(name),
                                                   " is not a valid instance-type name"));
    }
    if (auto it = rows.find(name); it != rows.end()) {
      return Invalid(table.Where(rec.line),
                     StrCat("instance type ", name, " is already defined at ", it->second.origin));
    }
    TypeRow row;
    row.origin = table.Where(rec.line);
    row.name = name;
    RETURN_IF_ERROR(ReadRecord(table, rec, bound, row));
    rows.emplace(name, std::move(row));
  }
  if (rows.empty()) return Invalid(table.source, "no instance types");
  return absl::OkStatus();
}

// Merges a supplementary table (extra facts or prices) into `rows` by name. Rows naming types that
// are not in the catalog are ignored (a price list may cover more types than the catalog); a type
// named twice is an error.
absl::Status MergeTable(const CsvTable& table, std::initializer_list<std::string_view> required,
                        std::map<std::string, TypeRow, std::less<>>& rows) {
  RETURN_IF_ERROR(RequireColumns(table, required));
  const size_t name_col = *table.Column("name");
  const auto bound = Bind(table);
  std::map<std::string, int64_t, std::less<>> seen;  // name → line
  for (const CsvRecord& rec : table.records) {
    const std::string& name = rec.fields[name_col];
    if (name.empty()) return Invalid(table.Where(rec.line), "column \"name\": blank");
    if (auto [it, fresh] = seen.emplace(name, rec.line); !fresh) {
      return Invalid(table.Where(rec.line), StrCat("instance type ", Shown(name),
                                                   " is already listed on line ", it->second));
    }
    auto it = rows.find(name);
    if (it == rows.end()) continue;
    RETURN_IF_ERROR(ReadRecord(table, rec, bound, it->second));
  }
  return absl::OkStatus();
}

// ----------------------------------------------------------------------------------------------
// Derivation (Karpenter's AWS provider, pkg/providers/instancetype/types.go).

Quantity MiB(int64_t n) { return Quantity::FromUnits(n * kMiB, Quantity::Format::kBinarySI); }

// kube-reserved CPU in millicores: 6% of the first core, 1% of the second, 0.5% of cores 3-4 and
// 0.25% of the rest. Each band is truncated to whole millicores in double arithmetic, exactly as
// Karpenter's KubeReservedResources does, so the figures match its to the millicore.
int64_t KubeReservedMilliCPU(int64_t vcpus) {
  struct Band {
    int64_t start, end;
    double percentage;
  };
  static constexpr std::array<Band, 4> kBands = {
      {{0, 1000, 0.06}, {1000, 2000, 0.01}, {2000, 4000, 0.005}, {4000, int64_t{1} << 31, 0.0025}}};
  const int64_t milli = vcpus * 1000;
  int64_t total = 0;
  for (const Band& b : kBands) {
    if (milli < b.start) continue;
    const double r = static_cast<double>(milli < b.end ? milli - b.start : b.end - b.start);
    total += static_cast<int64_t>(r * b.percentage);
  }
  return total;
}

// Capacity memory in MiB: instance memory (less the 64 MiB Graviton CMA reservation on arm64) less
// ceil(memory × VM_MEMORY_OVERHEAD_PERCENT), computed in bytes as Karpenter does.
int64_t CapacityMemoryMiB(int64_t memory_mib, bool arm64, double overhead_percent) {
  int64_t mib = memory_mib - (arm64 ? 64 : 0);
  if (mib <= 0) return 0;
  const double bytes = static_cast<double>(mib * kMiB);
  const auto overhead = static_cast<int64_t>(std::ceil(bytes * overhead_percent / 1024 / 1024));
  return std::max<int64_t>(0, mib - overhead);
}

// Karpenter's instanceTypeScheme `(^[a-z]+)(\-[0-9]+tb)?([0-9]+).*\.`: category and generation from
// the name, for catalogs that lack the category / family_generation_number columns.
void ParseCategoryGeneration(std::string_view name, std::string& category,
                             std::string& generation) {
  size_t i = 0;
  while (i < name.size() && name[i] >= 'a' && name[i] <= 'z') ++i;
  if (i == 0) return;
  const std::string_view cat = name.substr(0, i);
  auto digits_from = [&](size_t p) {
    size_t q = p;
    while (q < name.size() && name[q] >= '0' && name[q] <= '9') ++q;
    return q;
  };
  // Optional "-<digits>tb" (u-6tb1.metal).
  if (i < name.size() && name[i] == '-') {
    const size_t q = digits_from(i + 1);
    if (q > i + 1 && name.substr(q, 2) == "tb") i = q + 2;
  }
  const size_t q = digits_from(i);
  if (q == i) return;
  if (name.find('.', q) == std::string_view::npos) return;
  category = std::string(cat);
  generation = std::string(name.substr(i, q - i));
}

absl::Status ValidateOptions(const CatalogOptions& o, std::vector<std::string>& zones) {
  if (!IsLabelValue(o.region)) {
    return Invalid("catalog options",
                   StrCat("region ", Shown(o.region), " is not a valid label value"));
  }
  zones = o.zones.empty() ? DefaultZones(o.region) : o.zones;
  for (size_t i = 0; i < zones.size(); ++i) {
    if (!IsLabelValue(zones[i])) {
      return Invalid("catalog options",
                     StrCat("zone ", Shown(zones[i]), " is not a valid label value"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (zones[j] == zones[i]) {
        return Invalid("catalog options", StrCat("zone ", zones[i], " is listed twice"));
      }
    }
  }
  if (!(o.spot_discount >= 0 && o.spot_discount < 1)) {
    return Invalid("catalog options",
                   StrCat("spot_discount ", o.spot_discount, " is not in [0, 1)"));
  }
  if (!(o.vm_memory_overhead_percent >= 0 && o.vm_memory_overhead_percent < 1)) {
    return Invalid("catalog options", StrCat("vm_memory_overhead_percent ",
                                             o.vm_memory_overhead_percent, " is not in [0, 1)"));
  }
  if (o.ephemeral_storage.milli() < 0) {
    return Invalid("catalog options", "ephemeral_storage is negative");
  }
  return absl::OkStatus();
}

// ---- EBS volume attach limit (docs/catalog.md, "EBS volume attach limit") ----
//
// The AWS EBS CSI driver reports how many EBS volumes a node can attach (its CSINode's
// allocatable.count) from the instance type: Xen types have 39 attachments for EBS alone; newer
// types have a dedicated EBS limit by size; the other Nitro types share 28 attachments among EBS
// volumes, network interfaces, instance-store devices and accelerators; bare metal reports 31. The
// root volume takes one. This estimates that figure from the catalog's columns.

// Families with a dedicated EBS limit below generation 8 (from 8 on, every family has one).
bool HasDedicatedEBSLimit(std::string_view family, int64_t generation) {
  static constexpr std::string_view kFamilies[] = {
      "c7a",  "c7i",   "c7i-flex", "m7a", "m7i",  "m7i-flex", "r7a",     "r7i", "r7iz", "i7i",
      "i7ie", "hpc7a", "g6",       "g6e", "g6f",  "gr6",      "gr6f",    "g7",  "g7e",  "f2",
      "p4d",  "p4de",  "p5",       "p5e", "p5en", "p6-b200",  "p6-b300", "trn2"};
  if (generation >= 8) return true;
  if (family.starts_with("u7i")) return true;  // u7i-6tb, u7in-16tb, ...
  return std::find(std::begin(kFamilies), std::end(kFamilies), family) != std::end(kFamilies);
}

// "24xlarge" → 24, "xlarge" → 1, "large" / "medium" / other → 0; "metal-48xl" → 48.
int64_t SizeMultiple(std::string_view size) {
  if (size.starts_with("metal-")) size.remove_prefix(6);
  int64_t n = 0;
  size_t i = 0;
  for (; i < size.size() && size[i] >= '0' && size[i] <= '9'; ++i) n = n * 10 + (size[i] - '0');
  std::string_view rest = size.substr(i);
  if (i == 0) return rest == "xlarge" ? 1 : 0;
  return rest == "xlarge" || rest == "xl" ? n : 0;
}

int DedicatedEBSLimit(std::string_view family, std::string_view size) {
  if (family == "p4d" || family == "p4de") return 28;
  if (family == "hpc7a") return 27;
  const int64_t n = SizeMultiple(size);
  if (size.starts_with("metal")) return n > 0 && n <= 24 ? 39 : 79;
  if (n <= 12) return 32;
  if (n <= 18) return 48;
  if (n <= 24) return 64;
  // The largest GPU/Trainium sizes and the 200-Gbps "gn" networking sizes stop at 64.
  if (family.starts_with("p") || family == "trn2" || family.ends_with("gn")) return 64;
  if (n <= 32) return 88;
  return 128;
}

// Instance-store devices: the CSV has total GB, not the device count. The dense-HDD families use
// one fixed disk size; for every other type with instance storage, one device is assumed.
int64_t InstanceStoreDevices(std::string_view family, std::optional<int64_t> gib) {
  if (gib.value_or(0) <= 0) return 0;
  if (family == "d3") return (*gib + 1979) / 1980;      // 1980-GB HDDs
  if (family == "d3en") return (*gib + 13979) / 13980;  // 13980-GB HDDs
  return 1;
}

std::optional<int> EBSVolumeLimit(const TypeRow& row, std::string_view family,
                                  std::string_view size, int64_t generation) {
  constexpr int kRootVolume = 1;
  const bool metal = row.bare_metal.value_or(false) || size.starts_with("metal");
  // A catalog without the hypervisor column (a custom --instance-types file) does not say.
  if (row.hypervisor.empty() && !metal) return std::nullopt;
  if (row.hypervisor == "xen") return 39 - kRootVolume;
  if (HasDedicatedEBSLimit(family, generation)) {
    return DedicatedEBSLimit(family, size) - kRootVolume;
  }
  if (metal) return (family.starts_with("u-") ? 19 : 31) - kRootVolume;
  // Nitro, shared: the primary network interface, instance-store devices and accelerators each
  // take an attachment. Habana Gaudi cards do not; nor do the Neuron devices of the large
  // Inferentia2 and Trainium sizes (more than 4 of them), which EC2 reports with the full limit.
  int64_t shared = 28 - 1 - InstanceStoreDevices(family, row.local_nvme_gib);
  if (row.gpu_manufacturer != "habana") shared -= row.gpu_count.value_or(0);
  const int64_t neurons = row.neuron_device_count.value_or(0);
  if (neurons <= 4 || family == "inf1") shared -= neurons;
  return static_cast<int>(std::max<int64_t>(1, shared - kRootVolume));
}

void SetLabel(InstanceType& it, std::string_view key, std::string value) {
  it.labels.insert_or_assign(std::string(key), std::move(value));
}

absl::StatusOr<InstanceType> Derive(const TypeRow& row, const CatalogOptions& options,
                                    const std::vector<std::string>& zones) {
  // Required cells (the columns are checked up front; the cells may still be blank).
  if (row.arch.empty() || !row.vcpu || !row.memory_mib) {
    const char* missing = row.arch.empty() ? "arch" : !row.vcpu ? "vcpu" : "memory_mib";
    return Invalid(row.origin, StrCat("column \"", missing, "\": blank, but required"));
  }
  if (row.arch != "amd64" && row.arch != "arm64") {
    return Invalid(row.origin, StrCat("column \"arch\": ", Shown(row.arch),
                                      " is not a supported architecture (amd64 or arm64)"));
  }
  const bool arm64 = row.arch == "arm64";
  const int64_t vcpu = *row.vcpu;

  InstanceType it;
  it.name = row.name;

  // Capacity.
  const int64_t pods = row.max_pods_eni.value_or(row.karpenter_pods.value_or(kDefaultMaxPods));
  it.capacity[std::string(api::kResourceCPU)] = Quantity::FromUnits(vcpu);
  it.capacity[std::string(api::kResourceMemory)] =
      MiB(CapacityMemoryMiB(*row.memory_mib, arm64, options.vm_memory_overhead_percent));
  it.capacity[std::string(api::kResourceEphemeralStorage)] = options.ephemeral_storage;
  it.capacity[std::string(api::kResourcePods)] = Quantity::FromUnits(pods);
  auto extended = [&](std::string_view name, std::optional<int64_t> count) {
    if (count.value_or(0) > 0) it.capacity[std::string(name)] = Quantity::FromUnits(*count);
  };
  if (row.gpu_manufacturer == "nvidia") extended(api::kResourceNvidiaGPU, row.gpu_count);
  if (row.gpu_manufacturer == "amd") extended(api::kResourceAMDGPU, row.gpu_count);
  if (row.gpu_manufacturer == "habana") extended("habana.ai/gaudi", row.gpu_count);
  extended(api::kResourceNeuron, row.neuron_device_count);
  extended(api::kResourceNeuronCore, row.neuron_core_count);
  extended(api::kResourceEFA, row.efa_count);
  // The docs table's pod-ENI figure where it has one; otherwise the VPC-limits branch-interface
  // count for trunking-compatible types (the docs lag the newer VPC-limits table for a few types).
  std::optional<int64_t> pod_eni = row.karpenter_pod_eni;
  if (!pod_eni && row.trunking_compatible.value_or(false)) pod_eni = row.branch_enis;
  extended(api::kResourcePodENI, pod_eni);

  // Overhead. AL2023 sizes kube-reserved memory by the ENI-limited pod count.
  it.overhead.kube_reserved = {
      {std::string(api::kResourceCPU), Quantity::FromMilli(KubeReservedMilliCPU(vcpu))},
      {std::string(api::kResourceMemory), MiB(11 * pods + 255)},
      {std::string(api::kResourceEphemeralStorage),
       Quantity::FromUnits(kGiB, Quantity::Format::kBinarySI)},
  };
  const double storage = static_cast<double>(options.ephemeral_storage.value());
  it.overhead.eviction_threshold = {
      {std::string(api::kResourceMemory), MiB(100)},
      {std::string(api::kResourceEphemeralStorage),
       Quantity::FromUnits(static_cast<int64_t>(std::ceil(storage / 100 * 10)),
                           Quantity::Format::kBinarySI)},
  };

  // Labels.
  SetLabel(it, api::kLabelInstanceType, row.name);
  SetLabel(it, api::kLabelArch, row.arch);
  SetLabel(it, api::kLabelOS, "linux");
  SetLabel(it, api::kLabelRegion, options.region);
  std::string family = row.family, size = row.size;
  if (const size_t dot = row.name.find('.');
      dot != std::string::npos && row.name.find('.', dot + 1) == std::string::npos) {
    if (family.empty()) family = row.name.substr(0, dot);
    if (size.empty()) size = row.name.substr(dot + 1);
  }
  std::string category = row.category, generation;
  if (row.family_generation_number) generation = StrCat(*row.family_generation_number);
  if (category.empty() || generation.empty()) {
    std::string c, g;
    ParseCategoryGeneration(row.name, c, g);
    if (category.empty()) category = c;
    if (generation.empty()) generation = g;
  }
  auto set_if = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) SetLabel(it, key, value);
  };
  auto set_num = [&](std::string_view key, std::optional<int64_t> value) {
    if (value) SetLabel(it, key, StrCat(*value));
  };
  auto set_flag = [&](std::string_view key, std::optional<bool> value) {
    if (value) SetLabel(it, key, *value ? "true" : "false");
  };
  set_if(api::kLabelInstanceFamily, family);
  set_if(api::kLabelInstanceSize, size);
  set_if(api::kLabelInstanceCategory, category);
  set_if(api::kLabelInstanceGeneration, generation);
  set_num(api::kLabelInstanceCPU, vcpu);
  set_if(api::kLabelInstanceCPUManufacturer, row.cpu_manufacturer);
  set_num(api::kLabelInstanceCPUSustainedClockSpeedMhz, row.cpu_sustained_clock_mhz);
  set_num(api::kLabelInstanceMemory, row.memory_mib);
  set_num(api::kLabelInstanceEBSBandwidth, row.ebs_bandwidth_mbps);
  if (row.network_gbps) {
    set_num(api::kLabelInstanceNetworkBandwidth, std::llround(*row.network_gbps * 1000));
  }
  if (row.gpu_count.value_or(0) > 0) {
    set_if(api::kLabelInstanceGPUName, row.gpu_name);
    set_if(api::kLabelInstanceGPUManufacturer, row.gpu_manufacturer);
    set_num(api::kLabelInstanceGPUCount, row.gpu_count);
    set_num(api::kLabelInstanceGPUMemory, row.gpu_memory_mib);  // per GPU, as Karpenter
  }
  if (!row.accelerator_name.empty() || row.accelerator_count.value_or(0) > 0) {
    set_if(api::kLabelInstanceAcceleratorName, row.accelerator_name);
    set_if(api::kLabelInstanceAcceleratorManufacturer, row.accelerator_manufacturer);
    set_num(api::kLabelInstanceAcceleratorCount, row.accelerator_count);
  } else if (row.neuron_device_count.value_or(0) > 0) {
    // Neuron devices are accelerators made by "aws" (catalogs without the extra columns).
    set_if(api::kLabelInstanceAcceleratorName, row.neuron_name);
    SetLabel(it, api::kLabelInstanceAcceleratorManufacturer, "aws");
    set_num(api::kLabelInstanceAcceleratorCount, row.neuron_device_count);
  }
  set_num(api::kLabelInstanceLocalNVMe, row.local_nvme_gib);
  set_if(api::kLabelInstanceHypervisor, row.hypervisor);
  set_flag(api::kLabelInstanceEncryptionInTransitSupported, row.encryption_in_transit);
  set_flag(api::kLabelInstanceCapabilityFlex, row.capability_flex);

  int64_t generation_number = 0;
  for (char c : generation) generation_number = generation_number * 10 + (c - '0');
  it.ebs_volume_limit = EBSVolumeLimit(row, family, size, generation_number);

  // Offerings: a type without a list price cannot be launched, so it gets none.
  if (row.price) {
    const double od = *row.price;
    const double spot = od * (1 - options.spot_discount);
    for (const std::string& zone : zones) {
      it.offerings.push_back({.zone = zone,
                              .capacity_type = std::string(api::kCapacityTypeOnDemand),
                              .price = od,
                              .available = true,
                              .price_simulated = false});
      it.offerings.push_back({.zone = zone,
                              .capacity_type = std::string(api::kCapacityTypeSpot),
                              .price = spot,
                              .available = true,
                              .price_simulated = true});
    }
  }
  return it;
}

absl::StatusOr<InstanceTypes> DeriveAll(const std::map<std::string, TypeRow, std::less<>>& rows,
                                        const CatalogOptions& options,
                                        const std::vector<std::string>& zones) {
  InstanceTypes out;
  out.reserve(rows.size());
  for (const auto& [name, row] : rows) {  // std::map: already sorted by name
    ASSIGN_OR_RETURN(InstanceType it, Derive(row, options, zones));
    out.push_back(std::move(it));
  }
  return out;
}

absl::StatusOr<InstanceTypes> BuildNamed(std::string_view types_csv, std::string_view types_name,
                                         std::string_view extra_csv, std::string_view extra_name,
                                         std::string_view prices_csv, std::string_view prices_name,
                                         const CatalogOptions& options) {
  std::vector<std::string> zones;
  RETURN_IF_ERROR(ValidateOptions(options, zones));
  std::map<std::string, TypeRow, std::less<>> rows;
  {
    ASSIGN_OR_RETURN(CsvTable types, ParseCsv(types_csv, types_name));
    RETURN_IF_ERROR(ReadTypes(types, rows));
  }
  if (!TrimBlanks(extra_csv).empty()) {
    ASSIGN_OR_RETURN(CsvTable extra, ParseCsv(extra_csv, extra_name));
    RETURN_IF_ERROR(MergeTable(extra, {"name"}, rows));
  }
  if (!TrimBlanks(prices_csv).empty()) {
    ASSIGN_OR_RETURN(CsvTable prices, ParseCsv(prices_csv, prices_name));
    RETURN_IF_ERROR(MergeTable(prices, {"name", "on_demand_usd_per_hour"}, rows));
  }
  return DeriveAll(rows, options, zones);
}

}  // namespace

absl::StatusOr<InstanceTypes> BuildCatalog(std::string_view types_csv, std::string_view extra_csv,
                                           std::string_view prices_csv,
                                           const CatalogOptions& options) {
  return BuildNamed(types_csv, "instance types CSV", extra_csv, "extra CSV", prices_csv,
                    "prices CSV", options);
}

absl::StatusOr<InstanceTypes> EmbeddedCatalog(const CatalogOptions& options) {
  return BuildNamed(embedded::InstanceTypesCsv(), "data/instance-types.csv",
                    embedded::InstanceTypesExtraCsv(), "data/instance-types-extra.csv",
                    embedded::PricesUsEast1Csv(), "data/prices-us-east-1.csv", options);
}

absl::StatusOr<InstanceTypes> LoadCatalogFile(const std::string& path,
                                              const CatalogOptions& options) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return absl::NotFoundError(StrCat(path, ": no such file"));
  if (std::filesystem::is_directory(status)) {
    return absl::InvalidArgumentError(StrCat(path, ": is a directory"));
  }
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxCatalogFileBytes) {
    return absl::InvalidArgumentError(
        StrCat(path, ": ", size, " bytes; a catalog file may be at most ", kMaxCatalogFileBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(StrCat(path, ": cannot be opened for reading"));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return absl::DataLossError(StrCat(path, ": read error"));
  const std::string text = std::move(buf).str();
  if (const std::string ext = std::filesystem::path(path).extension().string();
      ext == ".yaml" || ext == ".yml") {
    return ParseInstanceTypeList(text, path);
  }

  std::vector<std::string> zones;
  RETURN_IF_ERROR(ValidateOptions(options, zones));
  ASSIGN_OR_RETURN(CsvTable table, ParseCsv(text, path));
  std::map<std::string, TypeRow, std::less<>> rows;
  RETURN_IF_ERROR(ReadTypes(table, rows));
  return DeriveAll(rows, options, zones);
}

std::vector<std::string> DefaultZones(std::string_view region) {
  if (region.empty()) return {};
  return {StrCat(region, "a"), StrCat(region, "b"), StrCat(region, "c")};
}

}  // namespace joinery::cloudprovider
