// joinery_karpenter_bench: Karpenter's scheduling benchmark on its exact inputs, plus realistic
// Deployments on the full AWS catalog, printed as a table next to Karpenter's own results.
//
// For each workload a forked child process builds the snapshot (outside the timer), runs Solve
// until about one second of solving has accumulated (at most 10 runs, at least 1; or exactly
// --runs), keeps the best time, checks that every run gave the same plan, and verifies the plan
// with the independent plan checker (outside the timer). The parent reads the child's figures from
// a pipe and its peak resident memory from wait4(), so every row has its own peak RSS (which
// includes the harness's own pages shared from the parent, printed at the top).
//
// Exit status: 0 when every plan passed the checker, every run gave the same plan and no pod of a
// Karpenter workload (diverse_*, preference_*) was left unschedulable (Karpenter's benchmark fails
// on unschedulable pods too); 1 otherwise; 2 on bad flags or data.
//
// Run: make bench (Release, pinned to one CPU). Smoke-run under ctest with --only/--max-pods.
#include <malloc.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "bench/aws_workload.h"
#include "bench/karpenter_workload.h"
#include "joinery/cloudprovider/catalog.h"
#include "joinery/common/hash.h"
#include "joinery/common/strings.h"
#include "joinery/solver/solver.h"
#include "joinery/testing/plan_checker.h"

namespace joinery::bench {
namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// ---- Workloads ----

struct Workload {
  std::string name;
  int aws_total = 0;  // > 0: a realistic AWS workload of this many pods; else a Karpenter workload
  bool karpenter() const { return aws_total == 0; }
};

const std::vector<Workload>& AllWorkloads() {
  static const std::vector<Workload> kAll = {
      {"diverse_1", 0},
      {"diverse_50", 0},
      {"diverse_100", 0},
      {"diverse_500", 0},
      {"diverse_1000", 0},
      {"diverse_2000", 0},
      {"diverse_5000", 0},
      {"diverse_10000", 0},
      {"diverse_20000", 0},
      {"preference_4000_respect", 0},
      {"preference_4000_ignore", 0},
      {"aws_realistic_10000", 10000},
      {"aws_realistic_50000", 50000},
  };
  return kAll;
}

// Karpenter's Solve time on this project's build machine (bench/data/karpenter-bench/README.md,
// `go test -bench`, single runs). Sizes absent here fall back to the data file's
// solve_seconds_single_run, marked with "*".
const std::map<std::string, double, std::less<>>& KarpenterMeasuredSeconds() {
  static const std::map<std::string, double, std::less<>> kTimes = {
      {"diverse_1", 0.52e-3},
      {"diverse_100", 0.31},
      {"diverse_1000", 3.2},
      {"diverse_5000", 18.0},
      {"diverse_10000", 42.2},
      {"diverse_20000", 105.0},
      {"preference_4000_respect", 79.0},
      {"preference_4000_ignore", 1.4},
  };
  return kTimes;
}

// `--only`: a comma-separated list of regular expressions, each matching a whole workload name.
absl::StatusOr<std::vector<Workload>> Select(const std::string& only) {
  if (only.empty()) return AllWorkloads();
  std::vector<std::regex> patterns;
  std::stringstream in(only);
  for (std::string item; std::getline(in, item, ',');) {
    if (item.empty()) continue;
    try {
      patterns.emplace_back(item);
    } catch (const std::regex_error& e) {
      return absl::InvalidArgumentError(
          StrCat("--only: bad regular expression ", item, ": ", e.what()));
    }
  }
  std::vector<Workload> out;
  for (const Workload& w : AllWorkloads()) {
    if (std::any_of(patterns.begin(), patterns.end(),
                    [&](const std::regex& re) { return std::regex_match(w.name, re); })) {
      out.push_back(w);
    }
  }
  if (out.empty())
    return absl::InvalidArgumentError(StrCat("--only ", only, " selects no workload"));
  return out;
}

// ---- One run, in the child ----

struct RunResult {
  std::string error;  // the snapshot could not be built or Solve failed
  int64_t pods = 0;
  int runs = 0;
  double best_seconds = 0;
  int64_t nodes = 0;
  double cost = 0;
  int64_t unschedulable = 0;
  std::string first_unschedulable;  // "ns/name: reason"
  bool deterministic = true;
  std::string check;        // empty = OK
  int64_t peak_rss_kb = 0;  // filled by the parent
};

// A fingerprint of everything a plan decides, to check that repeated runs agree.
uint64_t Fingerprint(const solver::Plan& plan) {
  uint64_t h = Fnv1a64("plan");
  auto mix = [&](std::string_view s) { h = (h ^ Fnv1a64(s)) * 1099511628211ULL; };
  for (const auto& nc : plan.node_claims) {
    mix(nc.name);
    mix(nc.launch.instance_type);
    mix(nc.launch.zone);
    mix(nc.launch.capacity_type);
    for (const auto& o : nc.instance_type_options) mix(o);
    for (const auto& p : nc.pods) mix(p);
  }
  for (const auto& e : plan.existing_nodes) {
    mix(e.name);
    for (const auto& p : e.pods) mix(p);
  }
  for (const auto& u : plan.unschedulable) mix(u.pod);
  return h;
}

std::shared_ptr<const cloudprovider::InstanceTypes> AwsCatalog() {
  auto c = cloudprovider::EmbeddedCatalog({});
  if (!c.ok()) return nullptr;
  return std::make_shared<const cloudprovider::InstanceTypes>(*std::move(c));
}

RunResult RunWorkload(const Workload& w, const KarpenterBenchData* data, size_t max_pods,
                      int fixed_runs) {
  RunResult r;
  solver::Snapshot snap;
  if (w.karpenter()) {
    auto s = KarpenterBenchSnapshot(*data, w.name, max_pods);
    if (!s.ok()) {
      r.error = std::string(s.status().message());
      return r;
    }
    snap = *std::move(s);
  } else {
    auto catalog = AwsCatalog();
    if (catalog == nullptr) {
      r.error = "cannot build the embedded AWS catalog";
      return r;
    }
    snap = AwsRealisticSnapshot(w.aws_total, std::move(catalog), max_pods);
  }
  r.pods = static_cast<int64_t>(snap.pods.size());
  // Like Karpenter's benchmark, which builds its scheduler (instance types included) outside the
  // timer: the catalog-derived part is prepared once; Solve does everything that depends on pods.
  snap.prepared = solver::PrepareInstanceTypes(snap.instance_types);

  std::optional<solver::Plan> plan;
  std::optional<uint64_t> first_fingerprint;
  double total = 0;
  r.best_seconds = std::numeric_limits<double>::infinity();
  for (;;) {
    plan.reset();  // one plan alive at a time, so the peak is one Solve's
    // CPU time of this thread: Solve is single-threaded, so on an idle core this equals wall
    // time, and it does not count time the scheduler gives to other processes.
    const double t0 = ThreadCpuSeconds();
    absl::StatusOr<solver::Plan> p = solver::Solve(snap);
    const double t1 = ThreadCpuSeconds();
    if (!p.ok()) {
      r.error = StrCat("Solve: ", p.status().message());
      return r;
    }
    plan = *std::move(p);
    const double s = t1 - t0;
    total += s;
    r.best_seconds = std::min(r.best_seconds, s);
    ++r.runs;
    const uint64_t fp = Fingerprint(*plan);
    if (!first_fingerprint) first_fingerprint = fp;
    if (fp != *first_fingerprint) r.deterministic = false;
    if (fixed_runs > 0 ? r.runs >= fixed_runs : (total >= 1.0 || r.runs >= 10)) break;
  }
  r.nodes = static_cast<int64_t>(plan->node_claims.size());
  r.cost = plan->cost_per_hour;
  r.unschedulable = static_cast<int64_t>(plan->unschedulable.size());
  if (!plan->unschedulable.empty()) {
    r.first_unschedulable = StrCat(plan->unschedulable[0].pod, ": ", plan->unschedulable[0].reason);
  }
  absl::Status check = testing::CheckPlan(snap, *plan);
  if (!check.ok()) r.check = std::string(check.message());
  return r;
}

// ---- Child/parent plumbing: the result crosses the pipe as `key=value` lines ----

std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

std::string Serialize(const RunResult& r) {
  return StrCat("error=", OneLine(r.error), "\npods=", r.pods, "\nruns=", r.runs,
                "\nbest_seconds=", r.best_seconds, "\nnodes=", r.nodes, "\ncost=", r.cost,
                "\nunschedulable=", r.unschedulable,
                "\nfirst_unschedulable=", OneLine(r.first_unschedulable),
                "\ndeterministic=", r.deterministic ? 1 : 0, "\ncheck=", OneLine(r.check), "\n");
}

std::optional<RunResult> Deserialize(const std::string& text) {
  RunResult r;
  std::map<std::string, std::string> kv;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  if (!kv.count("check")) return std::nullopt;  // the child died before it finished writing
  r.error = kv["error"];
  r.pods = std::stoll(kv["pods"]);
  r.runs = std::stoi(kv["runs"]);
  r.best_seconds = std::stod(kv["best_seconds"]);
  r.nodes = std::stoll(kv["nodes"]);
  r.cost = std::stod(kv["cost"]);
  r.unschedulable = std::stoll(kv["unschedulable"]);
  r.first_unschedulable = kv["first_unschedulable"];
  r.deterministic = kv["deterministic"] == "1";
  r.check = kv["check"];
  return r;
}

bool WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Runs `w` in a child process; the result carries the child's peak RSS.
RunResult RunInChild(const Workload& w, const KarpenterBenchData* data, size_t max_pods,
                     int fixed_runs) {
  int fds[2];
  RunResult failed;
  if (pipe(fds) != 0) {
    failed.error = StrCat("pipe: ", std::strerror(errno));
    return failed;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    failed.error = StrCat("fork: ", std::strerror(errno));
    close(fds[0]);
    close(fds[1]);
    return failed;
  }
  if (pid == 0) {
    close(fds[0]);
    const RunResult r = RunWorkload(w, data, max_pods, fixed_runs);
    _exit(WriteAll(fds[1], Serialize(r)) ? 0 : 3);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  std::optional<RunResult> r = Deserialize(text);
  if (!r || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    failed.error = WIFSIGNALED(status) ? StrCat("child killed by signal ", WTERMSIG(status), " (",
                                                strsignal(WTERMSIG(status)), ")")
                                       : StrCat("child exited with status ", WEXITSTATUS(status));
    r = failed;
  }
  r->peak_rss_kb = usage.ru_maxrss;  // kilobytes on Linux
  return *r;
}

// ---- Machine ----

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        size_t start = line.find_first_not_of(" \t", colon + 1);
        return start == std::string::npos ? "" : line.substr(start);
      }
    }
  }
  return "unknown CPU";
}

double SelfRssMb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

std::string MachineLine() {
  cpu_set_t set;
  CPU_ZERO(&set);
  const int allowed = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : -1;
  std::string build;
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
  build = "optimized build";
#else
  build = "NOT a Release build (assertions or sanitizers on): times are not representative";
#endif
  return StrCat(CpuModel(), ", nproc ", sysconf(_SC_NPROCESSORS_ONLN), " (", allowed,
                " allowed to this process), compiler ", __VERSION__, ", ", build);
}

// ---- Formatting ----

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string Seconds(double s) {
  if (s < 1e-3) return StrCat(Fixed(s * 1e3, 3), " ms");
  if (s < 1) return StrCat(Fixed(s * 1e3, s < 0.1 ? 2 : 1), " ms");
  return StrCat(Fixed(s, s < 10 ? 2 : 1), " s");
}

// Thousands separators for counts and rates.
std::string Grouped(double v) {
  std::string digits = Fixed(std::round(v), 0);
  std::string out;
  const size_t lead = digits.size() % 3;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (i % 3) == lead) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count UTF-8 code points
  return n;
}

void PrintTable(const std::vector<std::vector<std::string>>& rows, bool markdown) {
  if (rows.empty()) return;
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], DisplayWidth(row[c]));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line = markdown ? "| " : "";
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - DisplayWidth(row[c]), ' ');
      // Names left-aligned, figures right-aligned.
      line += c == 0 ? row[c] + pad : pad + row[c];
      if (c + 1 < row.size()) line += markdown ? " | " : "  ";
    }
    if (markdown) line += " |";
    std::printf("%s\n", line.c_str());
  };
  print_row(rows[0]);
  if (markdown) {
    std::string sep = "|";
    for (size_t c = 0; c < width.size(); ++c) {
      sep += c == 0 ? StrCat(":", std::string(width[c] + 1, '-'), "|")
                    : StrCat(std::string(width[c] + 1, '-'), ":|");
    }
    std::printf("%s\n", sep.c_str());
  } else {
    size_t total = 0;
    for (size_t w : width) total += w + 2;
    std::printf("%s\n", std::string(total - 2, '-').c_str());
  }
  for (size_t i = 1; i < rows.size(); ++i) print_row(rows[i]);
}

struct Flags {
  std::string only;
  size_t max_pods = kAllPods;
  int runs = 0;
  bool markdown = false;
  std::string data = DefaultKarpenterBenchDataPath();
};

int Main(const Flags& flags) {
  auto selected = Select(flags.only);
  if (!selected.ok()) {
    std::cerr << "error: " << selected.status().message() << "\n";
    return 2;
  }
  std::optional<KarpenterBenchData> data;
  if (std::any_of(selected->begin(), selected->end(),
                  [](const Workload& w) { return w.karpenter(); })) {
    auto d = LoadKarpenterBench(flags.data);
    if (!d.ok()) {
      std::cerr << "error: " << d.status().message() << "\n";
      return 2;
    }
    data = *std::move(d);
    malloc_trim(0);  // return the JSON parser's freed memory, so children do not inherit it
  }

  const std::string machine = MachineLine();
  const double harness_mb = SelfRssMb();
  const std::string run_rule =
      flags.runs > 0 ? StrCat("best of ", flags.runs, flags.runs == 1 ? " run" : " runs")
                     : "best of K runs (repeated until 1 s of solving or 10 runs)";
  if (flags.markdown) {
    std::printf(
        "Machine: %s. Single-threaded Solve, %s; peak RSS per workload in its own process "
        "(harness %.0f MB included).\n\n",
        machine.c_str(), run_rule.c_str(), harness_mb);
  } else {
    std::printf("machine: %s\n", machine.c_str());
    std::printf(
        "timing:  single-threaded Solve, %s; snapshot built and plan checked outside the "
        "timer\n",
        run_rule.c_str());
    std::printf(
        "memory:  peak RSS of a child process per workload (includes the harness's %.0f MB)\n",
        harness_mb);
    if (flags.max_pods != kAllPods) {
      std::printf(
          "NOTE:    pod lists truncated to %zu pods (--max-pods): no comparison with "
          "Karpenter\n",
          flags.max_pods);
    }
    std::printf("\n");
  }

  std::vector<std::vector<std::string>> rows = {
      {"workload", "pods", "Solve", "runs", "pods/s", "µs/pod", "nodes", "cost/h", "unsched",
       "peak RSS MB", "Karpenter nodes", "Karpenter cost/h", "Karpenter time", "speed-up",
       "nodes ≤ K", "cost ≤ K", "plan check"}};
  std::vector<std::string> notes;
  bool failed = false;
  bool any_from_file = false;
  for (const Workload& w : *selected) {
    std::fprintf(stderr, "running %s ...\n", w.name.c_str());
    const RunResult r = RunInChild(w, data ? &*data : nullptr, flags.max_pods, flags.runs);
    std::vector<std::string> row = {w.name};
    if (!r.error.empty()) {
      failed = true;
      notes.push_back(StrCat(w.name, ": ERROR: ", r.error));
      row.resize(rows[0].size(), "—");
      row.back() = "ERROR";
      row[9] = Fixed(r.peak_rss_kb / 1024.0, 1);
      rows.push_back(row);
      std::fprintf(stderr, "  %s: ERROR %s\n", w.name.c_str(), r.error.c_str());
      continue;
    }
    const KarpenterResult* k = nullptr;
    if (w.karpenter() && data) {
      auto it = data->results.find(w.name);
      if (it != data->results.end() && it->second.pods == r.pods) k = &it->second;
    }
    std::string k_time = "—", speedup = "—", nodes_ok = "—", cost_ok = "—";
    if (k != nullptr) {
      double ks = k->solve_seconds_single_run;
      bool from_file = true;
      if (auto m = KarpenterMeasuredSeconds().find(w.name); m != KarpenterMeasuredSeconds().end()) {
        ks = m->second;
        from_file = false;
      }
      k_time = StrCat(Seconds(ks), from_file ? "*" : "");
      any_from_file |= from_file;
      const double x = ks / r.best_seconds;
      speedup = StrCat(x < 10 ? Fixed(x, x < 1 ? 3 : 1) : Grouped(x), "×");
      nodes_ok = r.nodes <= k->nodes ? "yes" : "NO";
      cost_ok = r.cost <= k->cost_per_hour * (1 + 1e-9) ? "yes" : "NO";
    }
    std::string check = "OK";
    if (!r.check.empty()) {
      failed = true;
      check = "FAIL";
      notes.push_back(StrCat(w.name, ": plan check failed: ", r.check));
    }
    if (!r.deterministic) {
      failed = true;
      check += " (nondeterministic)";
      notes.push_back(StrCat(w.name, ": repeated runs gave different plans"));
    }
    if (r.unschedulable > 0) {
      if (w.karpenter()) failed = true;
      notes.push_back(StrCat(w.name, ": ", r.unschedulable, " unschedulable pod(s)",
                             w.karpenter() ? " (a failure: Karpenter schedules them all)" : "",
                             "; first: ", r.first_unschedulable));
    }
    row.insert(row.end(),
               {Grouped(static_cast<double>(r.pods)), Seconds(r.best_seconds), StrCat(r.runs),
                Grouped(r.pods / r.best_seconds), Fixed(r.best_seconds * 1e6 / r.pods, 2),
                Grouped(static_cast<double>(r.nodes)), Fixed(r.cost, 2), StrCat(r.unschedulable),
                Fixed(r.peak_rss_kb / 1024.0, 1), k ? Grouped(static_cast<double>(k->nodes)) : "—",
                k ? Fixed(k->cost_per_hour, 2) : "—", k_time, speedup, nodes_ok, cost_ok, check});
    std::fprintf(stderr, "  %s: %s (%d runs), %lld nodes, $%.2f/h, %lld unschedulable, %s\n",
                 w.name.c_str(), Seconds(r.best_seconds).c_str(), r.runs,
                 static_cast<long long>(r.nodes), r.cost, static_cast<long long>(r.unschedulable),
                 check.c_str());
    rows.push_back(std::move(row));
  }
  PrintTable(rows, flags.markdown);
  if (any_from_file) {
    std::printf(
        "\n* Karpenter time from the data file's solve_seconds_single_run (the size is not "
        "in the README's table of runs on the build machine). Karpenter's figures: "
        "bench/data/karpenter-bench/README.md.\n");
  }
  if (!notes.empty()) std::printf("\n");
  for (const auto& n : notes) std::printf("%s%s\n", flags.markdown ? "- " : "", n.c_str());
  std::fflush(stdout);
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace joinery::bench

int main(int argc, char** argv) {
  joinery::bench::Flags flags;
  CLI::App app{
      "Karpenter's scheduling benchmark and realistic AWS workloads, next to Karpenter's "
      "results",
      "joinery_karpenter_bench"};
  app.add_option("--only", flags.only,
                 "Workloads to run: comma-separated regular expressions matching whole names "
                 "(e.g. diverse_50 or 'diverse_.*,aws_.*')");
  app.add_option("--max-pods", flags.max_pods,
                 "Truncate every pod list to its first N pods (smoke runs; disables the comparison "
                 "with Karpenter)")
      ->check(CLI::PositiveNumber);
  app.add_option("--runs", flags.runs, "Exactly N timed runs per workload (default: adaptive)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--markdown", flags.markdown, "Print a GitHub markdown table (for the README)");
  app.add_option("--data", flags.data, "Path of Karpenter's workload.json")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help exits 0
  }
  return joinery::bench::Main(flags);
}
