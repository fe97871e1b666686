#include "joinery/kube/fake_client.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/cord.h"
#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "joinery/kube/label_selector.h"

namespace joinery::kube {
namespace {

using Key = std::tuple<std::string, std::string, std::string>;  // resource key, ns, name

absl::Status ApiError(absl::StatusCode code, std::string_view reason, std::string_view message) {
  absl::Status s(code, ToAbsl(message));
  s.SetPayload(kReasonPayload, absl::Cord(ToAbsl(reason)));
  return s;
}

std::string ResourceKey(const Resource& r) { return StrCat(r.group, "/", r.resource); }

std::string GroupResource(const Resource& r) {
  return r.group.empty() ? r.resource : StrCat(r.resource, ".", r.group);
}

bool IsBuiltIn(const Resource& r) {
  if (r.group.empty() || r.group.find('.') == std::string::npos) return true;
  const std::string_view suffix = ".k8s.io";
  return r.group.size() > suffix.size() &&
         r.group.compare(r.group.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool HasStatusSubresource(const Resource& r) {
  static const std::set<std::string> kWithStatus = {
      "pods",        "nodes",        "nodepools",  "nodeclaims",           "ec2nodeclasses",
      "deployments", "daemonsets",   "replicasets", "poddisruptionbudgets", "statefulsets",
      "persistentvolumeclaims",      "persistentvolumes",
  };
  return kWithStatus.contains(r.resource);
}

std::string Path(const Resource& r, std::string_view ns, std::string_view name) {
  std::string out = r.resource;
  if (r.namespaced && !ns.empty()) StrAppend(out, "/", ns);
  if (!name.empty()) StrAppend(out, "/", name);
  return out;
}

absl::Status NotFoundError(const Resource& r, std::string_view context, std::string_view name) {
  return ApiError(absl::StatusCode::kNotFound, "NotFound",
                  StrCat(context, ": ", GroupResource(r), " \"", name, "\" not found"));
}

absl::Status ConflictModified(const Resource& r, std::string_view context, std::string_view name) {
  return ApiError(absl::StatusCode::kAborted, "Conflict",
                  StrCat(context, ": Operation cannot be fulfilled on ", GroupResource(r), " \"",
                         name,
                         "\": the object has been modified; please apply your changes to the latest "
                         "version and try again"));
}

absl::Status BadRequest(std::string_view context, std::string_view message) {
  return ApiError(absl::StatusCode::kInvalidArgument, "BadRequest", StrCat(context, ": ", message));
}

absl::Status Invalid(std::string_view context, std::string_view message) {
  return ApiError(absl::StatusCode::kInvalidArgument, "Invalid", StrCat(context, ": ", message));
}

std::string StringAt(const Json& obj, std::string_view dotted) {
  const Json* cur = &obj;
  size_t start = 0;
  while (true) {
    size_t dot = dotted.find('.', start);
    std::string part(dotted.substr(start, dot == std::string_view::npos ? dotted.npos : dot - start));
    if (!cur->is_object()) return "";
    auto it = cur->find(part);
    if (it == cur->end()) return "";
    cur = &*it;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_null()) return "";
  return cur->dump();
}

struct FieldRequirement {
  std::string path;
  bool equal;
  std::string value;
};

absl::StatusOr<std::vector<FieldRequirement>> ParseFieldSelector(std::string_view s) {
  std::vector<FieldRequirement> out;
  if (s.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string_view part = s.substr(start, comma == s.npos ? s.npos : comma - start);
    FieldRequirement req;
    size_t neq = part.find("!=");
    size_t eq = part.find('=');
    if (neq != part.npos) {
      req.path = std::string(part.substr(0, neq));
      req.equal = false;
      req.value = std::string(part.substr(neq + 2));
    } else if (eq != part.npos) {
      req.path = std::string(part.substr(0, eq));
      req.equal = true;
      size_t v = eq + 1;
      if (v < part.size() && part[v] == '=') ++v;
      req.value = std::string(part.substr(v));
    } else {
      return absl::InvalidArgumentError(StrCat("invalid field selector \"", s, "\""));
    }
    if (req.path.empty()) return absl::InvalidArgumentError(StrCat("invalid field selector \"", s, "\""));
    out.push_back(std::move(req));
    if (comma == s.npos) break;
    start = comma + 1;
  }
  return out;
}

bool FieldsMatch(const std::vector<FieldRequirement>& reqs, const Json& obj) {
  for (const FieldRequirement& r : reqs) {
    if ((StringAt(obj, r.path) == r.value) != r.equal) return false;
  }
  return true;
}

struct Filter {
  std::string resource_key;
  std::string ns;  // "" = all
  LabelSelector labels;
  std::vector<FieldRequirement> fields;

  bool Matches(const Json& obj) const {
    if (obj.is_null()) return false;
    if (!ns.empty() && StringAt(obj, "metadata.namespace") != ns) return false;
    const Json& meta = obj.contains("metadata") ? obj["metadata"] : Json();
    return labels.Matches(meta.is_object() && meta.contains("labels") ? meta["labels"] : Json()) &&
           FieldsMatch(fields, obj);
  }
};

absl::StatusOr<Filter> MakeFilter(const Resource& r, std::string_view ns, const ListOptions& o,
                                  std::string_view context) {
  Filter f;
  f.resource_key = ResourceKey(r);
  f.ns = r.namespaced ? std::string(ns) : "";
  auto labels = LabelSelector::Parse(o.label_selector);
  if (!labels.ok()) return BadRequest(context, ToStd(labels.status().message()));
  f.labels = *std::move(labels);
  auto fields = ParseFieldSelector(o.field_selector);
  if (!fields.ok()) return BadRequest(context, ToStd(fields.status().message()));
  f.fields = *std::move(fields);
  return f;
}

std::string OptionsString(const ListOptions& o) {
  return StrCat("labelSelector=", o.label_selector, "&fieldSelector=", o.field_selector,
                "&resourceVersion=", o.resource_version);
}

std::optional<int64_t> ParseRv(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

Json WithoutMetaAndStatus(const Json& obj) {
  Json copy = obj;
  if (copy.is_object()) {
    copy.erase("metadata");
    copy.erase("status");
  }
  return copy;
}

std::vector<std::string> Finalizers(const Json& obj) {
  std::vector<std::string> out;
  if (!obj.is_object() || !obj.contains("metadata")) return out;
  const Json& m = obj["metadata"];
  if (!m.is_object() || !m.contains("finalizers") || !m["finalizers"].is_array()) return out;
  for (const Json& f : m["finalizers"]) {
    if (f.is_string()) out.push_back(f.get<std::string>());
  }
  return out;
}

bool IsDeleting(const Json& obj) {
  return obj.contains("metadata") && obj["metadata"].contains("deletionTimestamp") &&
         !obj["metadata"]["deletionTimestamp"].is_null();
}

}  // namespace

struct FakeClient::State {
  struct StoredEvent {
    int64_t rv;
    std::string resource_key;
    WatchEventType type;
    Json old_object;  // null for ADDED
    Json object;
  };
  struct StreamCtl {
    Filter filter;
    Resource resource;
    bool bookmarks = false;
    int64_t cursor = 0;
    std::deque<WatchEvent> pending;
    bool ended = false;
    bool cancelled = false;
    absl::Status end_status;
  };
  struct Injection {
    std::string verb;
    std::string resource;
    absl::Status status;
    int remaining;
  };

  Clock* clock;
  Options options;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<Key, Json> objects;
  int64_t rv = 0;
  int64_t min_watch_rv = 0;  // a watch from an older resourceVersion gets 410
  std::deque<StoredEvent> events;
  std::mt19937_64 rng;
  std::vector<Injection> injections;
  std::vector<Call> calls;
  std::function<absl::Status(const Json&)> eviction_hook;
  std::set<StreamCtl*> streams;
  bool destroyed = false;

  // --- helpers; all require `mu` held ---

  std::optional<absl::Status> TakeInjection(std::string_view verb, const Resource& r) {
    for (auto it = injections.begin(); it != injections.end(); ++it) {
      if (it->verb != verb || (!it->resource.empty() && it->resource != r.resource)) continue;
      absl::Status s = it->status;
      if (it->remaining > 0 && --it->remaining == 0) injections.erase(it);
      return s;
    }
    return std::nullopt;
  }

  void Record(std::string_view verb, const Resource& r, std::string_view ns, std::string_view name,
              std::string_view sub, Json body, std::string opts, const absl::Status& result) {
    calls.push_back(Call{std::string(verb), r.resource, std::string(ns), std::string(name),
                         std::string(sub), std::move(body), std::move(opts), result});
  }

  std::string RandomSuffix() {
    static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::string s;
    for (int i = 0; i < 5; ++i) s.push_back(kAlphabet[rng() % (sizeof(kAlphabet) - 1)]);
    return s;
  }

  std::string NewUid() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    uint64_t a = rng(), b = rng();
    for (int i = 0; i < 32; ++i) {
      uint64_t& src = i < 16 ? a : b;
      int nibble = static_cast<int>(src & 0xF);
      src >>= 4;
      if (i == 12) nibble = 4;                    // version 4
      if (i == 16) nibble = 8 | (nibble & 0x3);  // variant
      if (i == 8 || i == 12 || i == 16 || i == 20) s.push_back('-');
      s.push_back(kHex[nibble]);
    }
    return s;
  }

  void Emit(const Resource& r, WatchEventType type, Json old_object, const Json& object) {
    events.push_back(StoredEvent{rv, ResourceKey(r), type, std::move(old_object), object});
    while (events.size() > options.event_window) {
      min_watch_rv = std::max(min_watch_rv, events.front().rv);
      events.pop_front();
    }
    cv.notify_all();
  }

  void FillTypeMeta(const Resource& r, Json& obj) {
    obj["apiVersion"] = r.ApiVersion();
    obj["kind"] = r.kind;
  }

  // Normalizes namespace/name of an incoming object; returns the key.
  absl::StatusOr<Key> KeyFor(const Resource& r, std::string_view ns, Json& obj,
                             std::string_view context, bool allow_generate) {
    if (!obj.is_object()) return BadRequest(context, "the body is not a JSON object");
    Json& meta = obj["metadata"];
    if (!meta.is_object()) meta = Json::object();
    std::string body_ns = meta.value("namespace", "");
    std::string effective_ns;
    if (r.namespaced) {
      if (!ns.empty() && !body_ns.empty() && body_ns != ns) {
        return BadRequest(context, "the namespace of the provided object does not match the "
                                   "namespace sent on the request");
      }
      effective_ns = ns.empty() ? body_ns : std::string(ns);
      if (effective_ns.empty()) return BadRequest(context, "a namespace is required");
      meta["namespace"] = effective_ns;
    } else {
      meta.erase("namespace");
    }
    std::string name = meta.value("name", "");
    if (name.empty() && allow_generate) {
      std::string prefix = meta.value("generateName", "");
      if (prefix.empty()) {
        return Invalid(context, "metadata.name: Required value: name or generateName is required");
      }
      do {
        name = prefix + RandomSuffix();
      } while (objects.contains(Key{ResourceKey(r), effective_ns, name}));
      meta["name"] = name;
    }
    if (name.empty()) return Invalid(context, "metadata.name: Required value: name is required");
    return Key{ResourceKey(r), effective_ns, name};
  }

  absl::StatusOr<Json> CreateLocked(const Resource& r, std::string_view ns, Json obj,
                                    std::string_view context) {
    ASSIGN_OR_RETURN(Key key, KeyFor(r, ns, obj, context, /*allow_generate=*/true));
    Json& meta = obj["metadata"];
    if (!meta.value("resourceVersion", "").empty()) {
      return BadRequest(context, "resourceVersion should not be set on objects to be created");
    }
    if (objects.contains(key)) {
      return ApiError(absl::StatusCode::kAlreadyExists, "AlreadyExists",
                      StrCat(context, ": ", GroupResource(r), " \"", std::get<2>(key),
                             "\" already exists"));
    }
    FillTypeMeta(r, obj);
    meta["uid"] = NewUid();
    meta["creationTimestamp"] = FormatRfc3339(clock->Now());
    meta["generation"] = 1;
    meta.erase("deletionTimestamp");
    meta.erase("deletionGracePeriodSeconds");
    if (HasStatusSubresource(r) && r.resource != "nodes") {
      obj.erase("status");
      if (r.resource == "pods") obj["status"] = {{"phase", "Pending"}};
    }
    meta["resourceVersion"] = std::to_string(++rv);
    objects[key] = obj;
    Emit(r, WatchEventType::kAdded, nullptr, obj);
    return obj;
  }

  // Stores `incoming` over the existing object at `key` with the API server's update rules.
  absl::StatusOr<Json> UpdateLocked(const Resource& r, const Key& key, Json incoming,
                                    bool status_only, std::string_view context) {
    auto it = objects.find(key);
    if (it == objects.end()) return NotFoundError(r, context, std::get<2>(key));
    const Json& stored = it->second;
    const Json& stored_meta = stored["metadata"];
    Json& in_meta = incoming["metadata"];
    if (!in_meta.is_object()) in_meta = Json::object();
    std::string in_rv = in_meta.value("resourceVersion", "");
    if (!in_rv.empty() && in_rv != stored_meta.value("resourceVersion", "")) {
      return ConflictModified(r, context, std::get<2>(key));
    }
    std::string in_uid = in_meta.value("uid", "");
    if (!in_uid.empty() && in_uid != stored_meta.value("uid", "")) {
      return ApiError(absl::StatusCode::kAborted, "Conflict",
                      StrCat(context, ": Precondition failed: UID in precondition: ", in_uid,
                             ", UID in object meta: ", stored_meta.value("uid", "")));
    }
    Json merged;
    if (status_only) {
      if (!HasStatusSubresource(r)) {
        return ApiError(absl::StatusCode::kNotFound, "NotFound",
                        StrCat(context, ": the server could not find the requested resource"));
      }
      merged = stored;
      if (incoming.contains("status")) {
        merged["status"] = incoming["status"];
      } else {
        merged.erase("status");
      }
    } else {
      merged = std::move(incoming);
      if (HasStatusSubresource(r)) {
        if (stored.contains("status")) {
          merged["status"] = stored["status"];
        } else {
          merged.erase("status");
        }
      }
      Json& m = merged["metadata"];
      for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp",
                                "deletionGracePeriodSeconds", "generation", "namespace"}) {
        if (stored_meta.contains(field)) {
          m[field] = stored_meta[field];
        } else {
          m.erase(field);
        }
      }
      if (m.value("name", "") != std::get<2>(key)) {
        return BadRequest(context, "the name of the object does not match the name on the URL");
      }
      if (IsDeleting(stored)) {
        std::vector<std::string> old_f = Finalizers(stored);
        for (const std::string& f : Finalizers(merged)) {
          if (std::find(old_f.begin(), old_f.end(), f) == old_f.end()) {
            return Invalid(context, StrCat("metadata.finalizers: Forbidden: no new finalizers can "
                                           "be added if the object is being deleted, found new "
                                           "finalizers [\"", f, "\"]"));
          }
        }
      }
      if (HasStatusSubresource(r) && WithoutMetaAndStatus(merged) != WithoutMetaAndStatus(stored)) {
        m["generation"] = stored_meta.value("generation", int64_t{0}) + 1;
      }
    }
    FillTypeMeta(r, merged);
    merged["metadata"]["resourceVersion"] = stored_meta.value("resourceVersion", "");
    if (merged == stored) return stored;  // no-op: the real server writes nothing either
    merged["metadata"]["resourceVersion"] = std::to_string(++rv);
    Json old = std::move(it->second);
    if (IsDeleting(merged) && Finalizers(merged).empty()) {
      objects.erase(it);
      Emit(r, WatchEventType::kDeleted, std::move(old), merged);
      return merged;
    }
    it->second = merged;
    Emit(r, WatchEventType::kModified, std::move(old), merged);
    return merged;
  }

  absl::Status DeleteLocked(const Resource& r, const Key& key, const DeleteOptions& o,
                            std::string_view context) {
    auto it = objects.find(key);
    if (it == objects.end()) return NotFoundError(r, context, std::get<2>(key));
    Json& stored = it->second;
    const Json& meta = stored["metadata"];
    if (!o.precondition_uid.empty() && o.precondition_uid != meta.value("uid", "")) {
      return ApiError(absl::StatusCode::kAborted, "Conflict",
                      StrCat(context, ": Precondition failed: UID in precondition: ",
                             o.precondition_uid, ", UID in object meta: ", meta.value("uid", "")));
    }
    if (!o.precondition_resource_version.empty() &&
        o.precondition_resource_version != meta.value("resourceVersion", "")) {
      return ApiError(absl::StatusCode::kAborted, "Conflict",
                      StrCat(context, ": Precondition failed: ResourceVersion in precondition: ",
                             o.precondition_resource_version, ", ResourceVersion in object meta: ",
                             meta.value("resourceVersion", "")));
    }
    absl::Time now = clock->Now();
    bool graceful_pod = false;
    int64_t grace = 0;
    if (r.resource == "pods" && options.pod_graceful_deletion) {
      std::string phase = StringAt(stored, "status.phase");
      grace = o.grace_period_seconds.value_or(
          stored.contains("spec") ? stored["spec"].value("terminationGracePeriodSeconds", 30) : 30);
      graceful_pod = !StringAt(stored, "spec.nodeName").empty() && phase != "Succeeded" &&
                     phase != "Failed" && grace > 0;
    }
    if (!Finalizers(stored).empty() || graceful_pod) {
      if (IsDeleting(stored)) return absl::OkStatus();  // already being deleted
      Json old = stored;
      stored["metadata"]["deletionTimestamp"] = FormatRfc3339(now + absl::Seconds(grace));
      stored["metadata"]["deletionGracePeriodSeconds"] = grace;
      stored["metadata"]["resourceVersion"] = std::to_string(++rv);
      Emit(r, WatchEventType::kModified, std::move(old), stored);
      return absl::OkStatus();
    }
    Json old = std::move(stored);
    objects.erase(it);
    Json gone = old;
    gone["metadata"]["resourceVersion"] = std::to_string(++rv);
    Emit(r, WatchEventType::kDeleted, std::move(old), gone);
    return absl::OkStatus();
  }

  Json ForList(const Resource& r, const Json& obj) const {
    if (!IsBuiltIn(r)) return obj;
    Json copy = obj;
    copy.erase("apiVersion");
    copy.erase("kind");
    return copy;
  }
};

// One open watch: reads the shared event log from its cursor.
class FakeClient::Stream final : public WatchStream {
 public:
  Stream(std::shared_ptr<State> state, std::unique_ptr<State::StreamCtl> ctl)
      : state_(std::move(state)), ctl_(std::move(ctl)) {
    std::lock_guard lock(state_->mu);
    state_->streams.insert(ctl_.get());
  }
  ~Stream() override {
    std::lock_guard lock(state_->mu);
    state_->streams.erase(ctl_.get());
  }

  absl::StatusOr<std::optional<WatchEvent>> Next() override {
    std::unique_lock lock(state_->mu);
    State& s = *state_;
    State::StreamCtl& c = *ctl_;
    while (true) {
      if (c.cancelled || s.destroyed) return std::optional<WatchEvent>();
      if (!c.pending.empty()) {
        WatchEvent e = std::move(c.pending.front());
        c.pending.pop_front();
        return std::optional<WatchEvent>(std::move(e));
      }
      if (c.ended) {
        if (!c.end_status.ok()) return c.end_status;
        return std::optional<WatchEvent>();
      }
      if (c.cursor < s.min_watch_rv) {
        c.ended = true;
        return std::optional<WatchEvent>(WatchEvent{WatchEventType::kError, GoneStatus(c.cursor)});
      }
      auto it = std::upper_bound(
          s.events.begin(), s.events.end(), c.cursor,
          [](int64_t v, const State::StoredEvent& e) { return v < e.rv; });
      for (; it != s.events.end(); ++it) {
        c.cursor = it->rv;
        if (it->resource_key != c.filter.resource_key) continue;
        bool was = it->old_object.is_null() ? false : c.filter.Matches(it->old_object);
        bool is = c.filter.Matches(it->object);
        WatchEventType type;
        switch (it->type) {
          case WatchEventType::kAdded:
            if (!is) continue;
            type = WatchEventType::kAdded;
            break;
          case WatchEventType::kModified:
            if (was && is) {
              type = WatchEventType::kModified;
            } else if (is) {
              type = WatchEventType::kAdded;
            } else if (was) {
              type = WatchEventType::kDeleted;
            } else {
              continue;
            }
            break;
          case WatchEventType::kDeleted:
            if (!was && !is) continue;
            type = WatchEventType::kDeleted;
            break;
          default:
            continue;
        }
        return std::optional<WatchEvent>(WatchEvent{type, it->object});
      }
      s.cv.wait(lock);
    }
  }

  void Cancel() override {
    std::lock_guard lock(state_->mu);
    ctl_->cancelled = true;
    state_->cv.notify_all();
  }

  static Json GoneStatus(int64_t rv) {
    return Json{{"kind", "Status"},
                {"apiVersion", "v1"},
                {"metadata", Json::object()},
                {"status", "Failure"},
                {"message", StrCat("too old resource version: ", rv)},
                {"reason", "Expired"},
                {"code", 410}};
  }

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<State::StreamCtl> ctl_;
};

FakeClient::FakeClient(Clock& clock) : FakeClient(clock, Options()) {}

FakeClient::FakeClient(Clock& clock, Options options) : state_(std::make_shared<State>()) {
  state_->clock = &clock;
  state_->options = options;
  state_->rng.seed(options.seed);
}

FakeClient::~FakeClient() {
  std::lock_guard lock(state_->mu);
  state_->destroyed = true;
  state_->cv.notify_all();
}

absl::StatusOr<Json> FakeClient::Get(const Resource& r, std::string_view ns, std::string_view name,
                                     std::string_view subresource) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  std::string context = StrCat("get ", Path(r, ns, name));
  absl::StatusOr<Json> result;
  if (auto injected = s.TakeInjection("get", r)) {
    result = *injected;
  } else if (!subresource.empty() && subresource != "status") {
    result = NotFoundError(r, context, name);
  } else if (subresource == "status" && !HasStatusSubresource(r)) {
    result = ApiError(absl::StatusCode::kNotFound, "NotFound",
                      StrCat(context, ": the server could not find the requested resource"));
  } else {
    auto it = s.objects.find(Key{ResourceKey(r), r.namespaced ? std::string(ns) : "", name});
    if (it == s.objects.end()) {
      result = NotFoundError(r, context, name);
    } else {
      result = it->second;
    }
  }
  s.Record("get", r, ns, name, subresource, nullptr, "", result.status());
  return result;
}

absl::StatusOr<Json> FakeClient::List(const Resource& r, std::string_view ns,
                                      const ListOptions& options) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  std::string context = StrCat("list ", Path(r, ns, ""));
  absl::StatusOr<Json> result;
  if (auto injected = s.TakeInjection("list", r)) {
    result = *injected;
  } else if (auto filter = MakeFilter(r, ns, options, context); !filter.ok()) {
    result = filter.status();
  } else {
    Json items = Json::array();
    for (const auto& [key, obj] : s.objects) {
      if (std::get<0>(key) != filter->resource_key) continue;
      if (filter->Matches(obj)) items.push_back(s.ForList(r, obj));
    }
    result = Json{{"apiVersion", r.ApiVersion()},
                  {"kind", r.kind + "List"},
                  {"metadata", {{"resourceVersion", std::to_string(s.rv)}}},
                  {"items", std::move(items)}};
  }
  s.Record("list", r, ns, "", "", nullptr, OptionsString(options), result.status());
  return result;
}

absl::StatusOr<Json> FakeClient::Create(const Resource& r, std::string_view ns, const Json& object) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  std::string name = object.is_object() && object.contains("metadata")
                         ? object["metadata"].value("name", "")
                         : "";
  std::string context = StrCat("create ", Path(r, ns, name));
  absl::StatusOr<Json> result;
  if (auto injected = s.TakeInjection("create", r)) {
    result = *injected;
  } else {
    result = s.CreateLocked(r, ns, object, context);
  }
  s.Record("create", r, ns, result.ok() ? (*result)["metadata"].value("name", "") : name, "",
           object, "", result.status());
  return result;
}

absl::StatusOr<Json> FakeClient::CreateSubresource(const Resource& r, std::string_view ns,
                                                   std::string_view name,
                                                   std::string_view subresource,
                                                   const Json& body) {
  std::string context = StrCat("create ", Path(r, ns, name), "/", subresource);
  std::function<absl::Status(const Json&)> hook;
  Json pod;
  {
    std::lock_guard lock(state_->mu);
    State& s = *state_;
    absl::Status err;
    if (auto injected = s.TakeInjection("create_subresource", r)) {
      err = *injected;
    } else if (r.resource != "pods" || (subresource != "eviction" && subresource != "binding")) {
      err = ApiError(absl::StatusCode::kNotFound, "NotFound",
                     StrCat(context, ": the server could not find the requested resource"));
    } else {
      auto it = s.objects.find(Key{ResourceKey(r), std::string(ns), std::string(name)});
      if (it == s.objects.end()) {
        err = NotFoundError(r, context, name);
      } else {
        pod = it->second;
      }
    }
    if (!err.ok() || subresource == "binding") {
      if (err.ok()) {
        Json updated = pod;
        std::string node = body.contains("target") ? body["target"].value("name", "") : "";
        if (node.empty()) {
          err = Invalid(context, "target.name: Required value");
        } else if (!StringAt(pod, "spec.nodeName").empty()) {
          err = ConflictModified(r, context, name);
        } else {
          updated["spec"]["nodeName"] = node;
          updated["metadata"].erase("resourceVersion");
          auto stored = s.UpdateLocked(r, Key{ResourceKey(r), std::string(ns), std::string(name)},
                                       updated, false, context);
          err = stored.status();
        }
      }
      s.Record("create_subresource", r, ns, name, subresource, body, "", err);
      if (!err.ok()) return err;
      return Json{{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Success"}, {"code", 201}};
    }
    hook = s.eviction_hook;
  }
  absl::Status err = hook ? hook(pod) : absl::OkStatus();
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  if (err.ok()) {
    DeleteOptions o;
    if (body.is_object() && body.contains("deleteOptions") && body["deleteOptions"].is_object()) {
      const Json& d = body["deleteOptions"];
      if (d.contains("gracePeriodSeconds") && d["gracePeriodSeconds"].is_number_integer()) {
        o.grace_period_seconds = d["gracePeriodSeconds"].get<int64_t>();
      }
      if (d.contains("preconditions") && d["preconditions"].is_object()) {
        o.precondition_uid = d["preconditions"].value("uid", "");
        o.precondition_resource_version = d["preconditions"].value("resourceVersion", "");
      }
    }
    err = s.DeleteLocked(r, Key{ResourceKey(r), std::string(ns), std::string(name)}, o, context);
  }
  s.Record("create_subresource", r, ns, name, subresource, body, "", err);
  if (!err.ok()) return err;
  return Json{{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Success"}, {"code", 201}};
}

absl::StatusOr<Json> FakeClient::Update(const Resource& r, std::string_view ns, const Json& object,
                                        std::string_view subresource) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  std::string name = object.is_object() && object.contains("metadata")
                         ? object["metadata"].value("name", "")
                         : "";
  std::string context = StrCat("update ", Path(r, ns, name),
                               subresource.empty() ? "" : "/", subresource);
  absl::StatusOr<Json> result;
  if (auto injected = s.TakeInjection("update", r)) {
    result = *injected;
  } else if (!subresource.empty() && subresource != "status") {
    result = ApiError(absl::StatusCode::kNotFound, "NotFound",
                      StrCat(context, ": the server could not find the requested resource"));
  } else {
    Json copy = object;
    auto key = s.KeyFor(r, ns, copy, context, /*allow_generate=*/false);
    if (!key.ok()) {
      result = key.status();
    } else {
      result = s.UpdateLocked(r, *key, std::move(copy), subresource == "status", context);
    }
  }
  s.Record("update", r, ns, name, subresource, object, "", result.status());
  return result;
}

absl::StatusOr<Json> FakeClient::Patch(const Resource& r, std::string_view ns, std::string_view name,
                                       PatchType type, const Json& patch,
                                       std::string_view subresource) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  std::string context = StrCat("patch ", Path(r, ns, name),
                               subresource.empty() ? "" : "/", subresource);
  absl::StatusOr<Json> result;
  Key key{ResourceKey(r), r.namespaced ? std::string(ns) : "", std::string(name)};
  if (auto injected = s.TakeInjection("patch", r)) {
    result = *injected;
  } else if (!subresource.empty() && subresource != "status") {
    result = ApiError(absl::StatusCode::kNotFound, "NotFound",
                      StrCat(context, ": the server could not find the requested resource"));
  } else if (auto it = s.objects.find(key); it == s.objects.end()) {
    result = NotFoundError(r, context, name);
  } else {
    Json patched = it->second;
    // The stored resourceVersion is removed first so that only one the patch sets is a precondition.
    patched["metadata"].erase("resourceVersion");
    std::optional<absl::Status> err;
    try {
      if (type == PatchType::kJson) {
        if (!patch.is_array()) {
          err = BadRequest(context, "a JSON patch must be an array");
        } else {
          Json with_rv = it->second;
          patched = with_rv.patch(patch);
          if (patched["metadata"].value("resourceVersion", "") ==
              it->second["metadata"].value("resourceVersion", "")) {
            patched["metadata"].erase("resourceVersion");
          }
        }
      } else {
        if (!patch.is_object()) {
          err = BadRequest(context, "a merge patch must be a JSON object");
        } else {
          patched.merge_patch(patch);
        }
      }
    } catch (const nlohmann::json::exception& e) {
      err = Invalid(context, StrCat("the patch could not be applied: ", e.what()));
    }
    if (err) {
      result = *err;
    } else if (!patched.is_object()) {
      result = BadRequest(context, "the patched object is not a JSON object");
    } else {
      // Name and namespace come from the URL.
      patched["metadata"]["name"] = std::string(name);
      if (r.namespaced) patched["metadata"]["namespace"] = std::string(ns);
      result = s.UpdateLocked(r, key, std::move(patched), subresource == "status", context);
    }
  }
  s.Record("patch", r, ns, name, subresource, patch, "", result.status());
  return result;
}

absl::Status FakeClient::Delete(const Resource& r, std::string_view ns, std::string_view name,
                                const DeleteOptions& options) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  std::string context = StrCat("delete ", Path(r, ns, name));
  absl::Status result;
  if (auto injected = s.TakeInjection("delete", r)) {
    result = *injected;
  } else {
    result = s.DeleteLocked(r, Key{ResourceKey(r), r.namespaced ? std::string(ns) : "",
                                   std::string(name)},
                            options, context);
  }
  s.Record("delete", r, ns, name, "", nullptr, "", result);
  return result;
}

absl::StatusOr<std::unique_ptr<WatchStream>> FakeClient::Watch(const Resource& r,
                                                               std::string_view ns,
                                                               const ListOptions& options) {
  std::unique_lock lock(state_->mu);
  State& s = *state_;
  std::string context = StrCat("watch ", Path(r, ns, ""));
  absl::Status err;
  auto ctl = std::make_unique<State::StreamCtl>();
  if (auto injected = s.TakeInjection("watch", r)) {
    err = *injected;
  } else if (auto filter = MakeFilter(r, ns, options, context); !filter.ok()) {
    err = filter.status();
  } else {
    ctl->filter = *std::move(filter);
    ctl->resource = r;
    ctl->bookmarks = options.allow_watch_bookmarks;
    if (options.resource_version.empty() || options.resource_version == "0") {
      for (const auto& [key, obj] : s.objects) {
        if (std::get<0>(key) == ctl->filter.resource_key && ctl->filter.Matches(obj)) {
          ctl->pending.push_back(WatchEvent{WatchEventType::kAdded, obj});
        }
      }
      ctl->cursor = s.rv;
    } else if (auto rv = ParseRv(options.resource_version); !rv) {
      err = BadRequest(context, StrCat("invalid resourceVersion \"", options.resource_version, "\""));
    } else {
      // The cursor check in Next() turns a too-old resourceVersion into a 410 ERROR event.
      ctl->cursor = *rv;
    }
  }
  s.Record("watch", r, ns, "", "", nullptr, OptionsString(options), err);
  if (!err.ok()) return err;
  lock.unlock();
  return std::unique_ptr<WatchStream>(new Stream(state_, std::move(ctl)));
}

absl::StatusOr<Json> FakeClient::Add(const Resource& r, std::string_view ns, Json object) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  std::string context = StrCat("add ", r.resource);
  ASSIGN_OR_RETURN(Key key, s.KeyFor(r, ns, object, context, /*allow_generate=*/true));
  s.FillTypeMeta(r, object);
  Json& meta = object["metadata"];
  if (meta.value("uid", "").empty()) meta["uid"] = s.NewUid();
  if (meta.value("creationTimestamp", "").empty()) {
    meta["creationTimestamp"] = FormatRfc3339(s.clock->Now());
  }
  if (!meta.contains("generation")) meta["generation"] = 1;
  meta["resourceVersion"] = std::to_string(++s.rv);
  auto it = s.objects.find(key);
  if (it == s.objects.end()) {
    s.objects[key] = object;
    s.Emit(r, WatchEventType::kAdded, nullptr, object);
  } else {
    Json old = std::move(it->second);
    it->second = object;
    s.Emit(r, WatchEventType::kModified, std::move(old), object);
  }
  return object;
}

void FakeClient::InjectError(std::string_view verb, std::string_view resource, absl::Status status,
                             int count) {
  std::lock_guard lock(state_->mu);
  if (count == 0) return;
  state_->injections.push_back(
      State::Injection{std::string(verb), std::string(resource), std::move(status), count});
}

void FakeClient::ClearInjectedErrors() {
  std::lock_guard lock(state_->mu);
  state_->injections.clear();
}

void FakeClient::SetEvictionHook(std::function<absl::Status(const Json& pod)> hook) {
  std::lock_guard lock(state_->mu);
  state_->eviction_hook = std::move(hook);
}

std::vector<FakeClient::Call> FakeClient::Calls() const {
  std::lock_guard lock(state_->mu);
  return state_->calls;
}

std::vector<FakeClient::Call> FakeClient::CallsOf(std::string_view verb,
                                                  std::string_view resource) const {
  std::lock_guard lock(state_->mu);
  std::vector<Call> out;
  for (const Call& c : state_->calls) {
    if (c.verb == verb && (resource.empty() || c.resource == resource)) out.push_back(c);
  }
  return out;
}

void FakeClient::ClearCalls() {
  std::lock_guard lock(state_->mu);
  state_->calls.clear();
}

int64_t FakeClient::CurrentResourceVersion() const {
  std::lock_guard lock(state_->mu);
  return state_->rv;
}

void FakeClient::CompactBefore(int64_t resource_version) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  s.min_watch_rv = std::max(s.min_watch_rv, resource_version);
  while (!s.events.empty() && s.events.front().rv <= s.min_watch_rv) s.events.pop_front();
  s.cv.notify_all();
}

void FakeClient::EndWatches(absl::Status status) {
  std::lock_guard lock(state_->mu);
  for (State::StreamCtl* c : state_->streams) {
    if (c->ended) continue;
    c->ended = true;
    c->end_status = status;
  }
  state_->cv.notify_all();
}

void FakeClient::SendBookmark() {
  std::lock_guard lock(state_->mu);
  for (State::StreamCtl* c : state_->streams) {
    if (c->ended || !c->bookmarks) continue;
    c->pending.push_back(WatchEvent{
        WatchEventType::kBookmark,
        Json{{"apiVersion", c->resource.ApiVersion()},
             {"kind", c->resource.kind},
             {"metadata", {{"resourceVersion", std::to_string(state_->rv)}}}}});
    // Everything up to here has been seen by the bookmark's resourceVersion only if the stream has
    // read that far; keep the cursor so that no event is skipped.
  }
  state_->cv.notify_all();
}

int FakeClient::OpenWatchCount() const {
  std::lock_guard lock(state_->mu);
  int n = 0;
  for (const State::StreamCtl* c : state_->streams) n += (!c->ended && !c->cancelled) ? 1 : 0;
  return n;
}

absl::Status FakeClient::TooManyRequests(std::string_view message) {
  return ApiError(absl::StatusCode::kResourceExhausted, "TooManyRequests", message);
}
absl::Status FakeClient::ConflictError(std::string_view message) {
  return ApiError(absl::StatusCode::kAborted, "Conflict", message);
}
absl::Status FakeClient::Unavailable(std::string_view message) {
  return ApiError(absl::StatusCode::kUnavailable, "ServiceUnavailable", message);
}
absl::Status FakeClient::GoneError(std::string_view message) {
  return ApiError(absl::StatusCode::kOutOfRange, "Expired", message);
}

}  // namespace joinery::kube
