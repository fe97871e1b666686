#include "joinery/kube/rest_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>
#include <vector>

#include "joinery/common/status.h"
#include "joinery/common/strings.h"
#include "joinery/kube/rate_limiter.h"

namespace joinery::kube {

// --- Pure helpers. ---

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string ResourcePath(const Resource& r, std::string_view ns, std::string_view name,
                         std::string_view subresource) {
  std::string path =
      r.group.empty() ? StrCat("/api/", r.version) : StrCat("/apis/", r.group, "/", r.version);
  if (r.namespaced && !ns.empty()) StrAppend(path, "/namespaces/", UrlEncode(ns));
  StrAppend(path, "/", r.resource);
  if (!name.empty()) {
    StrAppend(path, "/", UrlEncode(name));
    if (!subresource.empty()) StrAppend(path, "/", subresource);
  }
  return path;
}

std::string ListQuery(const ListOptions& options, bool watch, std::string_view continue_token) {
  std::vector<std::string> params;
  auto add = [&](std::string_view key, std::string_view value) {
    params.push_back(StrCat(key, "=", UrlEncode(value)));
  };
  if (!options.label_selector.empty()) add("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) add("fieldSelector", options.field_selector);
  if (!options.resource_version.empty() && continue_token.empty()) {
    add("resourceVersion", options.resource_version);
  }
  if (watch) {
    add("watch", "1");
    if (options.allow_watch_bookmarks) add("allowWatchBookmarks", "true");
    if (options.timeout_seconds.has_value()) {
      add("timeoutSeconds", StrCat(*options.timeout_seconds));
    }
  } else {
    if (options.limit.has_value()) add("limit", StrCat(*options.limit));
    if (!continue_token.empty()) add("continue", continue_token);
  }
  return StrJoin(params, "&");
}

Json DeleteOptionsBody(const DeleteOptions& options) {
  Json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (options.grace_period_seconds.has_value()) {
    body["gracePeriodSeconds"] = *options.grace_period_seconds;
  }
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (!options.precondition_uid.empty() || !options.precondition_resource_version.empty()) {
    Json pre = Json::object();
    if (!options.precondition_uid.empty()) pre["uid"] = options.precondition_uid;
    if (!options.precondition_resource_version.empty()) {
      pre["resourceVersion"] = options.precondition_resource_version;
    }
    body["preconditions"] = std::move(pre);
  }
  return body;
}

std::string_view PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategic:
      return "application/strategic-merge-patch+json";
  }
  return "application/merge-patch+json";
}

absl::StatusOr<WatchEvent> ParseWatchEvent(std::string_view line) {
  Json j = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    constexpr size_t kMaxShown = 200;
    return absl::InvalidArgumentError(StrCat("malformed watch event: ", line.substr(0, kMaxShown),
                                             line.size() > kMaxShown ? "..." : ""));
  }
  const std::string type = j["type"].get<std::string>();
  WatchEvent event{WatchEventType::kAdded, Json::object()};
  if (type == "ADDED") {
    event.type = WatchEventType::kAdded;
  } else if (type == "MODIFIED") {
    event.type = WatchEventType::kModified;
  } else if (type == "DELETED") {
    event.type = WatchEventType::kDeleted;
  } else if (type == "BOOKMARK") {
    event.type = WatchEventType::kBookmark;
  } else if (type == "ERROR") {
    event.type = WatchEventType::kError;
  } else {
    return absl::InvalidArgumentError(StrCat("unknown watch event type \"", type, "\""));
  }
  if (!j.contains("object") || !j["object"].is_object()) {
    return absl::InvalidArgumentError(StrCat("watch event ", type, " carries no object"));
  }
  event.object = std::move(j["object"]);
  return event;
}

namespace {

constexpr auto kTokenRefresh = std::chrono::minutes(1);
constexpr size_t kMaxIdleHandles = 16;

void GlobalInit() {
  static std::once_flag once;
  // curl_global_init is not thread-safe; call_once makes it so. Never cleaned up: other threads
  // may still use curl during static destruction.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t AppendToString(char* ptr, size_t size, size_t nmemb, void* userdata) {
  static_cast<std::string*>(userdata)->append(ptr, size * nmemb);
  return size * nmemb;
}

// "pods/ns/name/status", for messages.
std::string ObjectRef(const Resource& r, std::string_view ns, std::string_view name,
                      std::string_view subresource = "") {
  std::string out = r.group.empty() ? r.resource : StrCat(r.resource, ".", r.group);
  if (r.namespaced && !ns.empty()) StrAppend(out, "/", ns);
  if (!name.empty()) StrAppend(out, "/", name);
  if (!subresource.empty()) StrAppend(out, "/", subresource);
  return out;
}

absl::Status TransportError(CURLcode rc, const char* errbuf, std::string_view context) {
  std::string msg =
      (errbuf != nullptr && errbuf[0] != '\0') ? std::string(errbuf) : curl_easy_strerror(rc);
  const absl::StatusCode code = rc == CURLE_OPERATION_TIMEDOUT ? absl::StatusCode::kDeadlineExceeded
                                                               : absl::StatusCode::kUnavailable;
  return absl::Status(code, StrCat(context, ": ", msg));
}

// Owns a curl_slist.
struct HeaderList {
  curl_slist* list = nullptr;
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() { curl_slist_free_all(list); }
  void Add(const std::string& h) { list = curl_slist_append(list, h.c_str()); }
};

}  // namespace

// --- The transport. ---

class RestClient::Impl {
 public:
  explicit Impl(RestConfig config)
      : config_(std::move(config)), limiter_(config_.qps, config_.burst) {}
  ~Impl() {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  const RestConfig& config() const { return config_; }
  RateLimiter& limiter() { return limiter_; }

  CURL* AcquireHandle() {
    {
      std::lock_guard lock(pool_mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        // Keeps live connections, TLS sessions and the DNS cache; drops options.
        curl_easy_reset(h);
        return h;
      }
    }
    return curl_easy_init();
  }

  void ReleaseHandle(CURL* h) {
    std::lock_guard lock(pool_mu_);
    if (idle_.size() < kMaxIdleHandles) {
      idle_.push_back(h);
    } else {
      curl_easy_cleanup(h);
    }
  }

  std::string Token() {
    if (config_.bearer_token_file.empty()) return config_.bearer_token;
    std::lock_guard lock(token_mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!token_read_ || now - token_read_at_ >= kTokenRefresh) {
      token_read_ = true;
      token_read_at_ = now;
      auto content = ReadWholeFile(config_.bearer_token_file);
      if (content.has_value() && !Trim(*content).empty()) {
        token_ = Trim(*content);
      } else if (token_.empty()) {
        token_ = config_.bearer_token;  // keep the last good token when the file is unreadable
      }
    }
    return token_;
  }

  // Sets what every request and watch shares on a fresh (reset) handle.
  void ConfigureCommon(CURL* h, const std::string& url, HeaderList& headers,
                       std::string_view content_type, char* errbuf) {
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(h, CURLOPT_USERAGENT, config_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 15L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 5L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    const auto connect_ms = std::min<int64_t>(absl::ToInt64Milliseconds(config_.timeout), 10'000);
    if (connect_ms > 0)
      curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_ms));

    if (!config_.ca_pem.empty()) {
      curl_blob blob{const_cast<char*>(config_.ca_pem.data()), config_.ca_pem.size(),
                     CURL_BLOB_COPY};
      curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (!config_.client_cert_pem.empty()) {
      curl_blob cert{const_cast<char*>(config_.client_cert_pem.data()),
                     config_.client_cert_pem.size(), CURL_BLOB_COPY};
      curl_blob key{const_cast<char*>(config_.client_key_pem.data()), config_.client_key_pem.size(),
                    CURL_BLOB_COPY};
      curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
      curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
      curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
      curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (config_.insecure_skip_tls_verify) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }

    headers.Add("Accept: application/json");
    headers.Add("Expect:");  // no 100-continue round trip for large bodies
    if (!content_type.empty()) headers.Add(StrCat("Content-Type: ", content_type));
    std::string token = Token();
    if (!token.empty()) headers.Add(StrCat("Authorization: Bearer ", token));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.list);
  }

  struct Response {
    long code = 0;
    std::string body;
  };

  // One non-streaming request. `body` null = no body.
  absl::StatusOr<Response> Do(const char* method, const std::string& path_and_query,
                              const std::string* body, std::string_view content_type,
                              std::string_view context) {
    limiter_.Wait();
    CURL* h = AcquireHandle();
    if (h == nullptr)
      return absl::ResourceExhaustedError(StrCat(context, ": curl_easy_init failed"));
    char errbuf[CURL_ERROR_SIZE] = {0};
    HeaderList headers;
    const std::string url = config_.server + path_and_query;
    ConfigureCommon(h, url, headers, body != nullptr ? content_type : "", errbuf);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // gzip for large lists
    const auto timeout_ms = absl::ToInt64Milliseconds(config_.timeout);
    if (timeout_ms > 0) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
    if (body != nullptr) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    }
    if (std::string_view(method) != "GET" && std::string_view(method) != "POST") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else if (std::string_view(method) == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    Response response;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &AppendToString);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
    const CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.code);
    // Options pointing at this frame's buffers must not outlive it.
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    ReleaseHandle(h);
    if (rc != CURLE_OK) return TransportError(rc, errbuf, context);
    return response;
  }

  absl::StatusOr<Json> DoJson(const char* method, const std::string& path_and_query,
                              const Json* body, std::string_view content_type,
                              std::string_view context) {
    std::string serialized;
    if (body != nullptr) serialized = body->dump();
    ASSIGN_OR_RETURN(
        Response response,
        Do(method, path_and_query, body != nullptr ? &serialized : nullptr, content_type, context));
    if (response.code < 200 || response.code > 299) {
      return StatusFromApiError(static_cast<int>(response.code), response.body, context);
    }
    if (response.body.empty()) return Json::object();
    Json parsed = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      return absl::InternalError(
          StrCat(context, ": malformed JSON response (HTTP ", response.code, ")"));
    }
    return parsed;
  }

 private:
  const RestConfig config_;
  RateLimiter limiter_;

  std::mutex pool_mu_;
  std::vector<CURL*> idle_;  // guarded by pool_mu_

  std::mutex token_mu_;
  std::string token_;                                    // guarded by token_mu_
  bool token_read_ = false;                              // guarded by token_mu_
  std::chrono::steady_clock::time_point token_read_at_;  // guarded by token_mu_
};

namespace {

// A streaming GET driven by a private curl multi handle on the caller's thread. Cancel() sets a
// flag and wakes curl_multi_poll (curl_multi_wakeup is documented as callable from any thread).
class RestWatchStream final : public WatchStream {
 public:
  explicit RestWatchStream(std::string context) : context_(std::move(context)) {}
  ~RestWatchStream() override {
    if (multi_ != nullptr) {
      if (easy_ != nullptr) curl_multi_remove_handle(multi_, easy_);
      curl_multi_cleanup(multi_);
    }
    if (easy_ != nullptr) curl_easy_cleanup(easy_);
  }
  RestWatchStream(const RestWatchStream&) = delete;
  RestWatchStream& operator=(const RestWatchStream&) = delete;

  // Opens the stream and waits for the response headers (or the whole body of an error answer).
  absl::Status Start(RestClient::Impl& impl, const std::string& url, absl::Duration timeout) {
    easy_ = curl_easy_init();
    multi_ = curl_multi_init();
    if (easy_ == nullptr || multi_ == nullptr) {
      return absl::ResourceExhaustedError(StrCat(context_, ": curl init failed"));
    }
    impl.ConfigureCommon(easy_, url, headers_, "", errbuf_);
    curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &RestWatchStream::OnData);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &RestWatchStream::OnHeader);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
    curl_multi_add_handle(multi_, easy_);

    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout));
    while (!headers_done_ && !done_) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return absl::DeadlineExceededError(
            StrCat(context_, ": no response within ", absl::FormatDuration(timeout)));
      }
      RETURN_IF_ERROR(Pump(200));
    }
    if (done_ && result_ != CURLE_OK) return TransportError(result_, errbuf_, context_);
    if (http_code_ != 200) {
      // An error answer is a small metav1.Status: read it to the end.
      while (!done_) {
        if (std::chrono::steady_clock::now() >= deadline) break;
        RETURN_IF_ERROR(Pump(200));
      }
      return StatusFromApiError(static_cast<int>(http_code_), buffer_, context_);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<WatchEvent>> Next() override {
    for (;;) {
      if (cancelled_.load()) return std::optional<WatchEvent>();
      size_t nl = buffer_.find('\n', pos_);
      if (nl != std::string::npos) {
        std::string_view line(buffer_.data() + pos_, nl - pos_);
        pos_ = nl + 1;
        if (Trim(std::string(line)).empty()) continue;
        auto event = ParseWatchEvent(line);
        Compact();
        if (!event.ok()) return Annotate(event.status(), context_);
        return std::optional<WatchEvent>(std::move(*event));
      }
      if (done_) {
        std::string rest = Trim(buffer_.substr(pos_));
        buffer_.clear();
        pos_ = 0;
        if (!rest.empty() && result_ == CURLE_OK) {
          auto event = ParseWatchEvent(rest);
          if (!event.ok()) return Annotate(event.status(), context_);
          return std::optional<WatchEvent>(std::move(*event));
        }
        if (result_ != CURLE_OK) {
          absl::Status status = TransportError(result_, errbuf_, context_);
          result_ = CURLE_OK;  // reported once; later calls see the end of the stream
          return absl::UnavailableError(status.message());
        }
        return std::optional<WatchEvent>();
      }
      RETURN_IF_ERROR(Pump(1000));
    }
  }

  void Cancel() override {
    cancelled_.store(true);
    // multi_ is set before the stream is handed out, so it is stable here.
    if (multi_ != nullptr) curl_multi_wakeup(multi_);
  }

 private:
  static size_t OnData(char* ptr, size_t size, size_t nmemb, void* userdata) {
    auto* self = static_cast<RestWatchStream*>(userdata);
    self->buffer_.append(ptr, size * nmemb);
    return size * nmemb;
  }

  static size_t OnHeader(char* ptr, size_t size, size_t nitems, void* userdata) {
    auto* self = static_cast<RestWatchStream*>(userdata);
    std::string_view line(ptr, size * nitems);
    if (line == "\r\n" || line == "\n") {
      long code = 0;
      curl_easy_getinfo(self->easy_, CURLINFO_RESPONSE_CODE, &code);
      if (code >= 200) {  // 1xx interim responses are followed by the real one
        self->http_code_ = code;
        self->headers_done_ = true;
      }
    }
    return size * nitems;
  }

  // Moves the transfer forward, waiting up to `timeout_ms` for the socket (or a wakeup).
  absl::Status Pump(int timeout_ms) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi_, &running);
    if (mc != CURLM_OK) {
      return absl::UnavailableError(StrCat(context_, ": ", curl_multi_strerror(mc)));
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy_) {
        done_ = true;
        result_ = msg->data.result;
      }
    }
    if (done_ || running == 0) {
      done_ = true;
      return absl::OkStatus();
    }
    // Data may already be buffered: return without waiting if a line or headers are ready.
    if (buffer_.find('\n', pos_) != std::string::npos) return absl::OkStatus();
    if (cancelled_.load()) return absl::OkStatus();
    mc = curl_multi_poll(multi_, nullptr, 0, timeout_ms, nullptr);
    if (mc != CURLM_OK) {
      return absl::UnavailableError(StrCat(context_, ": ", curl_multi_strerror(mc)));
    }
    return absl::OkStatus();
  }

  void Compact() {
    if (pos_ > 64 * 1024 && pos_ * 2 > buffer_.size()) {
      buffer_.erase(0, pos_);
      pos_ = 0;
    }
  }

  const std::string context_;
  CURL* easy_ = nullptr;
  CURLM* multi_ = nullptr;
  HeaderList headers_;
  char errbuf_[CURL_ERROR_SIZE] = {0};
  std::string buffer_;  // received bytes; [pos_, end) not yet returned
  size_t pos_ = 0;
  bool headers_done_ = false;
  long http_code_ = 0;
  bool done_ = false;
  CURLcode result_ = CURLE_OK;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

// --- RestClient. ---

absl::StatusOr<std::unique_ptr<RestClient>> RestClient::Create(RestConfig config) {
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  if (!config.server.starts_with("https://") && !config.server.starts_with("http://")) {
    return absl::InvalidArgumentError(
        StrCat("server \"", config.server, "\" must start with https:// or http://"));
  }
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return absl::InvalidArgumentError("client certificate and key must be given together");
  }
  if (!config.bearer_token_file.empty() && !ReadWholeFile(config.bearer_token_file).has_value()) {
    return absl::NotFoundError(StrCat("cannot read bearer token file ", config.bearer_token_file));
  }
  GlobalInit();
  return std::unique_ptr<RestClient>(new RestClient(std::make_unique<Impl>(std::move(config))));
}

RestClient::RestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestClient::~RestClient() = default;

const RestConfig& RestClient::config() const { return impl_->config(); }

absl::StatusOr<Json> RestClient::Get(const Resource& r, std::string_view ns, std::string_view name,
                                     std::string_view subresource) {
  const std::string context = StrCat("get ", ObjectRef(r, ns, name, subresource));
  if (name.empty()) return absl::InvalidArgumentError(StrCat(context, ": empty name"));
  return impl_->DoJson("GET", ResourcePath(r, ns, name, subresource), nullptr, "", context);
}

absl::StatusOr<Json> RestClient::List(const Resource& r, std::string_view ns,
                                      const ListOptions& options) {
  const std::string context = StrCat("list ", ObjectRef(r, ns, ""));
  const std::string path = ResourcePath(r, ns);
  Json result;
  std::string continue_token;
  for (;;) {
    std::string query = ListQuery(options, /*watch=*/false, continue_token);
    ASSIGN_OR_RETURN(Json page,
                     impl_->DoJson("GET", query.empty() ? path : StrCat(path, "?", query), nullptr,
                                   "", context));
    if (!page.is_object()) return absl::InternalError(StrCat(context, ": list is not an object"));
    if (!page.contains("items") || !page["items"].is_array()) page["items"] = Json::array();
    continue_token.clear();
    if (page.contains("metadata") && page["metadata"].is_object()) {
      continue_token = page["metadata"].value("continue", "");
    }
    if (result.is_null()) {
      result = std::move(page);
    } else {
      for (auto& item : page["items"]) result["items"].push_back(std::move(item));
    }
    if (continue_token.empty()) break;
  }
  if (result.contains("metadata") && result["metadata"].is_object()) {
    result["metadata"].erase("continue");
    result["metadata"].erase("remainingItemCount");
  }
  return result;
}

namespace {
std::string MetaString(const Json& object, const char* field) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return "";
  }
  const Json& v = object["metadata"].value(field, Json());
  return v.is_string() ? v.get<std::string>() : "";
}
}  // namespace

absl::StatusOr<Json> RestClient::Create(const Resource& r, std::string_view ns,
                                        const Json& object) {
  std::string namespace_(ns);
  if (r.namespaced && namespace_.empty()) namespace_ = MetaString(object, "namespace");
  std::string name = MetaString(object, "name");
  if (name.empty() && !MetaString(object, "generateName").empty()) {
    name = StrCat(MetaString(object, "generateName"), "*");
  }
  const std::string context = StrCat("create ", ObjectRef(r, namespace_, name));
  if (name.empty()) {
    return absl::InvalidArgumentError(StrCat(context, ": metadata.name or generateName required"));
  }
  return impl_->DoJson("POST", ResourcePath(r, namespace_), &object, "application/json", context);
}

absl::StatusOr<Json> RestClient::CreateSubresource(const Resource& r, std::string_view ns,
                                                   std::string_view name,
                                                   std::string_view subresource, const Json& body) {
  const std::string context = StrCat("create ", ObjectRef(r, ns, name, subresource));
  if (name.empty() || subresource.empty()) {
    return absl::InvalidArgumentError(StrCat(context, ": name and subresource required"));
  }
  return impl_->DoJson("POST", ResourcePath(r, ns, name, subresource), &body, "application/json",
                       context);
}

absl::StatusOr<Json> RestClient::Update(const Resource& r, std::string_view ns, const Json& object,
                                        std::string_view subresource) {
  std::string namespace_(ns);
  if (r.namespaced && namespace_.empty()) namespace_ = MetaString(object, "namespace");
  const std::string name = MetaString(object, "name");
  const std::string context = StrCat("update ", ObjectRef(r, namespace_, name, subresource));
  if (name.empty()) return absl::InvalidArgumentError(StrCat(context, ": metadata.name required"));
  return impl_->DoJson("PUT", ResourcePath(r, namespace_, name, subresource), &object,
                       "application/json", context);
}

absl::StatusOr<Json> RestClient::Patch(const Resource& r, std::string_view ns,
                                       std::string_view name, PatchType type, const Json& patch,
                                       std::string_view subresource) {
  const std::string context = StrCat("patch ", ObjectRef(r, ns, name, subresource));
  if (name.empty()) return absl::InvalidArgumentError(StrCat(context, ": empty name"));
  if (type == PatchType::kJson && !patch.is_array()) {
    return absl::InvalidArgumentError(StrCat(context, ": a JSON patch must be an array"));
  }
  return impl_->DoJson("PATCH", ResourcePath(r, ns, name, subresource), &patch,
                       PatchContentType(type), context);
}

absl::Status RestClient::Delete(const Resource& r, std::string_view ns, std::string_view name,
                                const DeleteOptions& options) {
  const std::string context = StrCat("delete ", ObjectRef(r, ns, name));
  if (name.empty()) return absl::InvalidArgumentError(StrCat(context, ": empty name"));
  const Json body = DeleteOptionsBody(options);
  return impl_->DoJson("DELETE", ResourcePath(r, ns, name), &body, "application/json", context)
      .status();
}

absl::StatusOr<std::unique_ptr<WatchStream>> RestClient::Watch(const Resource& r,
                                                               std::string_view ns,
                                                               const ListOptions& options) {
  const std::string context = StrCat("watch ", ObjectRef(r, ns, ""));
  const std::string url =
      StrCat(impl_->config().server, ResourcePath(r, ns), "?", ListQuery(options, /*watch=*/true));
  impl_->limiter().Wait();
  auto stream = std::make_unique<RestWatchStream>(context);
  RETURN_IF_ERROR(stream->Start(*impl_, url, impl_->config().timeout));
  return std::unique_ptr<WatchStream>(std::move(stream));
}

}  // namespace joinery::kube
