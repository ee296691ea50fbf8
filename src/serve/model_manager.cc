// ModelManager: the loaded models and their versions, loading / unloading /
// swapping, the repository poll, readiness, statistics and infer().
#include "serve/model_manager.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <set>
#include <thread>

#include "serve/loaded_model.h"
#include "serve/model_repository.h"
#include "serve/request_log.h"

namespace fastserve::serve {

namespace {

using VersionMap = std::map<int64_t, std::shared_ptr<LoadedModel>>;

struct ModelEntry {
  std::string explicit_path;  // --model NAME=PATH ("" = from the repository)
  std::shared_ptr<const VersionMap> versions = std::make_shared<VersionMap>();
  std::string state = "UNAVAILABLE";
  std::string reason;
  std::string signature;  // repository signature of what is loaded
  bool wanted = false;    // should be loaded (counts for server readiness)
  bool loading = false;
};

Result<int64_t> parse_version(const std::string& name, const std::string& version) {
  if (version.empty() || version.size() > 18 ||
      !std::all_of(version.begin(), version.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return Status(StatusCode::kNotFound, "model '" + name + "': version '" + version + "' is not a version number");
  return std::stoll(version);
}

}  // namespace

struct ModelManager::Impl {
  ManagerOptions options;
  ServerMetrics& metrics;
  mutable std::mutex mu;
  std::map<std::string, ModelEntry> models;
  std::mutex load_mu;  // one load / unload at a time
  std::atomic<bool> draining{false};
  std::atomic<int64_t> inflight{0};
  // Not ready once drain() began or a stop signal is pending (drain() may
  // not have been called yet: see serve/stop_signal.h).
  bool stopping() const { return draining.load() || (options.stop_requested && options.stop_requested()); }
  std::mutex idle_mu;
  std::condition_variable idle_cv;
  std::thread poller;
  std::mutex poll_mu;
  std::condition_variable poll_cv;
  bool stop_poll = false;

  Impl(ManagerOptions o, ServerMetrics& m) : options(std::move(o)), metrics(m) {}

  // The version to run: `version` or the newest loaded one.
  Result<std::shared_ptr<LoadedModel>> resolve(const std::string& name, const std::string& version) const {
    std::shared_ptr<const VersionMap> versions;
    {
      std::lock_guard lock(mu);
      auto it = models.find(name);
      if (it == models.end()) return Status(StatusCode::kNotFound, "unknown model '" + name + "'");
      versions = it->second.versions;
    }
    if (versions->empty())
      return Status(StatusCode::kUnavailable, "model '" + name + "' is not ready (no version loaded)");
    if (version.empty()) return versions->rbegin()->second;
    FS_ASSIGN_OR_RETURN(int64_t v, parse_version(name, version));
    auto vit = versions->find(v);
    if (vit == versions->end())
      return Status(StatusCode::kNotFound, "model '" + name + "' has no loaded version " + version);
    return vit->second;
  }

  LoadSettings settings(bool has_config) const {
    LoadSettings s;
    s.threads = options.threads;
    s.device = options.device;
    s.has_config = has_config;
    return s;
  }

  // Installs `next` as the model's version set and drains what it replaced.
  void install(const std::string& name, std::shared_ptr<const VersionMap> next, const std::string& signature,
               const std::string& state, const std::string& reason) {
    std::shared_ptr<const VersionMap> old;
    {
      std::lock_guard lock(mu);
      ModelEntry& e = models[name];
      old = e.versions;
      e.versions = next;
      e.signature = signature;
      e.state = state;
      e.reason = reason;
      e.loading = false;
      e.wanted = !next->empty();  // loaded: counts for readiness, and the poller watches it
    }
    // Versions no longer served finish what they queued, then go. Requests
    // that raced to a draining batcher retry on the new set (infer()).
    for (const auto& [v, m] : *old)
      if (!next->count(v) || next->at(v) != m) m->batcher->begin_drain();
    for (const auto& [v, m] : *old)
      if (!next->count(v) || next->at(v) != m) m->batcher->drain();
  }

  Status load(const std::string& name) {
    std::lock_guard load_lock(load_mu);
    std::string explicit_path;
    std::shared_ptr<const VersionMap> current;
    {
      std::lock_guard lock(mu);
      auto it = models.find(name);
      if (it != models.end()) {
        explicit_path = it->second.explicit_path;
        current = it->second.versions;
        it->second.loading = true;
        it->second.wanted = true;
        if (it->second.versions->empty()) it->second.state = "LOADING";
      }
    }
    auto fail = [&](Status s) {
      std::lock_guard lock(mu);
      ModelEntry& e = models[name];
      e.loading = false;
      e.wanted = true;
      if (e.versions->empty()) {
        e.state = "UNAVAILABLE";
        e.reason = s.message();
      }
      log_event(LogLevel::kError, s.message());
      return s;
    };
    if (!current) current = std::make_shared<VersionMap>();

    if (!explicit_path.empty()) {
      auto m = load_model_version(name, "1", explicit_path, ModelConfig{}, settings(false), metrics.registry);
      if (!m.ok()) return fail(m.status());
      auto next = std::make_shared<VersionMap>();
      (*next)[1] = std::move(m).value();
      log_event(LogLevel::kInfo, "loaded model '" + name + "' version 1 from " + explicit_path);
      install(name, next, "", "READY", "");
      return ok_status();
    }
    if (options.repository.empty())
      return fail(Status(StatusCode::kNotFound, "unknown model '" + name + "' (no model repository)"));
    auto repo_model = read_repository_model(options.repository, name);
    if (!repo_model.ok()) {
      if (repo_model.status().code() == StatusCode::kNotFound) {
        std::lock_guard lock(mu);
        auto it = models.find(name);
        if (it != models.end() && it->second.versions->empty()) models.erase(it);
        return repo_model.status();
      }
      return fail(repo_model.status());
    }
    const RepositoryModel& rm = repo_model.value();
    const auto chosen = select_versions(rm);
    if (chosen.empty())
      return fail(Status(StatusCode::kNotFound, "model '" + name + "': no version folder in " + rm.dir +
                                                    " holds " + rm.config.default_model_filename +
                                                    " that the version policy selects"));
    auto next = std::make_shared<VersionMap>();
    for (const auto& v : chosen) {
      const std::string file_sig = rm.signature;
      auto it = current->find(v.version);
      // Keep a loaded version when neither its file nor the config changed.
      if (it != current->end() && it->second->signature == file_sig) {
        (*next)[v.version] = it->second;
        continue;
      }
      auto m = load_model_version(name, std::to_string(v.version), v.path, rm.config, settings(rm.has_config),
                                  metrics.registry);
      if (!m.ok()) return fail(m.status());
      m.value()->signature = file_sig;
      (*next)[v.version] = std::move(m).value();
      log_event(LogLevel::kInfo, "loaded model '" + name + "' version " + std::to_string(v.version) + " from " + v.path);
    }
    install(name, next, rm.signature, "READY", "");
    return ok_status();
  }

  Status unload(const std::string& name) {
    std::lock_guard load_lock(load_mu);
    {
      std::lock_guard lock(mu);
      auto it = models.find(name);
      if (it == models.end()) return Status(StatusCode::kNotFound, "unknown model '" + name + "'");
      it->second.state = "UNLOADING";
    }
    install(name, std::make_shared<VersionMap>(), "", "UNAVAILABLE", "unloaded");
    log_event(LogLevel::kInfo, "unloaded model '" + name + "'");
    return ok_status();
  }

  // One poll: load what is new or changed (and stable since the last poll),
  // unload what left the repository.
  void poll_once(std::map<std::string, std::string>& seen) {
    auto names = list_repository_models(options.repository);
    if (!names.ok()) return;
    std::map<std::string, std::string> now;
    for (const auto& name : names.value()) {
      auto rm = read_repository_model(options.repository, name);
      now[name] = rm.ok() ? rm.value().signature : "error:" + rm.status().message();
    }
    for (const auto& [name, sig] : now) {
      std::string loaded_sig;
      bool known = false;
      {
        std::lock_guard lock(mu);
        auto it = models.find(name);
        if (it != models.end()) {
          known = it->second.wanted;
          loaded_sig = it->second.signature;
          if (!it->second.explicit_path.empty()) continue;
          if (!it->second.wanted && !it->second.versions->empty()) continue;
        }
      }
      // Act only on a signature seen twice in a row: a file still being
      // copied changes size or mtime between polls.
      auto prev = seen.find(name);
      const bool stable = prev != seen.end() && prev->second == sig;
      if (stable && (!known || sig != loaded_sig) && sig.rfind("error:", 0) != 0) (void)load(name);
    }
    std::vector<std::string> gone;
    {
      std::lock_guard lock(mu);
      for (const auto& [name, e] : models)
        if (e.explicit_path.empty() && e.wanted && !now.count(name)) gone.push_back(name);
    }
    for (const auto& name : gone) (void)unload(name);
    seen = std::move(now);
  }

  void poll_loop() {
    std::map<std::string, std::string> seen;
    std::unique_lock lock(poll_mu);
    while (!stop_poll) {
      poll_cv.wait_for(lock, std::chrono::milliseconds(options.poll_ms));
      if (stop_poll) break;
      lock.unlock();
      poll_once(seen);
      lock.lock();
    }
  }
};

ModelManager::ModelManager(ManagerOptions options, ServerMetrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), metrics)) {
  for (const auto& [name, path] : impl_->options.explicit_models) {
    ModelEntry& e = impl_->models[name];
    e.explicit_path = path;
    e.wanted = true;
  }
}

ModelManager::~ModelManager() {
  {
    std::lock_guard lock(impl_->poll_mu);
    impl_->stop_poll = true;
  }
  impl_->poll_cv.notify_all();
  if (impl_->poller.joinable()) impl_->poller.join();
  // Batchers drain in their destructors as the version maps go.
  std::lock_guard lock(impl_->mu);
  impl_->models.clear();
}

Status ModelManager::load_all() {
  Status first;
  std::vector<std::string> names;
  for (const auto& [name, path] : impl_->options.explicit_models) names.push_back(name);
  if (!impl_->options.repository.empty()) {
    FS_ASSIGN_OR_RETURN(auto repo_names, list_repository_models(impl_->options.repository));
    for (auto& n : repo_names)
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  for (const auto& name : names) {
    Status s = impl_->load(name);
    if (!s.ok() && first.ok()) first = s;
  }
  if (!impl_->options.repository.empty() && impl_->options.poll_ms > 0)
    impl_->poller = std::thread([this] { impl_->poll_loop(); });
  return first;
}

Status ModelManager::load(const std::string& name, const std::string& config_json) {
  if (!config_json.empty())
    return Status(StatusCode::kUnsupported, "model '" + name + "': a config override in the load request is not supported");
  return impl_->load(name);
}

Status ModelManager::unload(const std::string& name) { return impl_->unload(name); }

std::vector<RepositoryEntry> ModelManager::repository_index(bool ready_only) const {
  std::vector<RepositoryEntry> out;
  std::set<std::string> names;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [name, e] : impl_->models) {
      names.insert(name);
      if (e.versions->empty()) {
        if (!ready_only) out.push_back({name, "", e.loading ? "LOADING" : e.state, e.reason});
        continue;
      }
      for (const auto& [v, m] : *e.versions) out.push_back({name, std::to_string(v), "READY", ""});
    }
  }
  // Models in the repository that were never loaded.
  if (!ready_only && !impl_->options.repository.empty()) {
    auto repo = list_repository_models(impl_->options.repository);
    if (repo.ok())
      for (const auto& n : repo.value())
        if (!names.count(n)) out.push_back({n, "", "UNAVAILABLE", "not loaded"});
  }
  std::sort(out.begin(), out.end(), [](const RepositoryEntry& a, const RepositoryEntry& b) {
    return a.name != b.name ? a.name < b.name : a.version < b.version;
  });
  return out;
}

bool ModelManager::server_live() const { return true; }

bool ModelManager::server_ready() const {
  if (impl_->stopping()) return false;
  std::lock_guard lock(impl_->mu);
  for (const auto& [name, e] : impl_->models)
    if (e.wanted && e.versions->empty()) return false;
  return true;
}

bool ModelManager::model_ready(const std::string& name, const std::string& version) const {
  if (impl_->stopping()) return false;
  return impl_->resolve(name, version).ok();
}

Result<ModelMetadata> ModelManager::metadata(const std::string& name, const std::string& version) const {
  FS_ASSIGN_OR_RETURN(auto m, impl_->resolve(name, version));
  ModelMetadata md = m->io;
  md.versions.clear();
  std::lock_guard lock(impl_->mu);
  auto it = impl_->models.find(name);
  if (it != impl_->models.end())
    for (const auto& [v, lm] : *it->second.versions) md.versions.push_back(std::to_string(v));
  return md;
}

Result<ModelConfig> ModelManager::config(const std::string& name, const std::string& version) const {
  FS_ASSIGN_OR_RETURN(auto m, impl_->resolve(name, version));
  return m->config;
}

Result<ModelInfo> ModelManager::info(const std::string& name, const std::string& version) const {
  FS_ASSIGN_OR_RETURN(auto m, impl_->resolve(name, version));
  ModelInfo i;
  i.name = m->name;
  i.version = m->version;
  i.path = m->path;
  i.metadata = m->model_metadata;
  i.io = m->io;
  i.config = m->config;
  return i;
}

Result<std::vector<ModelStatistics>> ModelManager::statistics(const std::string& name,
                                                              const std::string& version) const {
  std::vector<std::shared_ptr<LoadedModel>> chosen;
  if (!name.empty()) {
    if (!version.empty()) {
      FS_ASSIGN_OR_RETURN(auto m, impl_->resolve(name, version));
      chosen.push_back(m);
    } else {
      std::lock_guard lock(impl_->mu);
      auto it = impl_->models.find(name);
      if (it == impl_->models.end()) return Status(StatusCode::kNotFound, "unknown model '" + name + "'");
      for (const auto& [v, m] : *it->second.versions) chosen.push_back(m);
    }
  } else {
    std::lock_guard lock(impl_->mu);
    for (const auto& [n, e] : impl_->models)
      for (const auto& [v, m] : *e.versions) chosen.push_back(m);
  }
  std::vector<ModelStatistics> out;
  for (const auto& m : chosen) {
    ModelStatistics s;
    s.name = m->name;
    s.version = m->version;
    BatcherStats& b = m->batcher->stats();
    std::lock_guard lock(b.mu);
    s.last_inference_ms = b.last_inference_ms;
    s.inference_count = b.inference_count;
    s.execution_count = b.execution_count;
    s.success = {b.success_count, b.success_ns};
    s.fail = {b.fail_count, b.fail_ns};
    s.queue = {b.queue_count, b.queue_ns};
    s.compute_input = {b.success_count, b.compute_input_ns};
    s.compute_infer = {b.success_count, b.compute_infer_ns};
    s.compute_output = {b.success_count, b.compute_output_ns};
    for (const auto& [size, per] : b.by_batch_size) {
      BatchStat bs;
      bs.batch_size = size;
      bs.compute_input = {per.count, per.input_ns};
      bs.compute_infer = {per.count, per.infer_ns};
      bs.compute_output = {per.count, per.output_ns};
      s.batch_stats.push_back(bs);
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<InferResponse> ModelManager::infer(InferRequest request) const {
  struct Inflight {
    Impl& impl;
    explicit Inflight(Impl& i) : impl(i) { impl.inflight.fetch_add(1); }
    ~Inflight() {
      if (impl.inflight.fetch_sub(1) == 1) {
        std::lock_guard lock(impl.idle_mu);
        impl.idle_cv.notify_all();
      }
    }
  } inflight(*impl_);
  if (impl_->draining.load())
    return Status(StatusCode::kUnavailable, "the server is shutting down");
  const Clock::time_point arrival = request.arrival;
  // A version swap may drain the batcher we picked before we queue on it;
  // then the new set is installed already, and we retry there.
  const std::string asked_version = request.version;
  for (int attempt = 0;; ++attempt) {
    FS_ASSIGN_OR_RETURN(auto m, impl_->resolve(request.model, asked_version));
    auto items = validate_request(*m, request);
    if (!items.ok()) {
      if (m->metrics.failure_rejected) m->metrics.failure_rejected->inc();
      return items.status();
    }
    request.version = asked_version.empty() ? m->version : asked_version;
    bool draining = false;
    // A rejected request is not moved from (submit's contract): the retry reuses it.
    auto future = m->batcher->submit(std::move(request), items.value(), &draining);
    if (!future.ok()) {
      if (draining && attempt < 3) continue;
      Counter* c = future.status().code() == StatusCode::kResourceExhausted ? m->metrics.failure_rejected
                                                                           : m->metrics.failure_unavailable;
      if (c) c->inc();
      return future.status();
    }
    Result<InferResponse> response = future.value().get();
    const double total_s = std::chrono::duration<double>(Clock::now() - arrival).count();
    if (response.ok()) {
      if (m->metrics.request_success) m->metrics.request_success->inc();
      if (m->metrics.total_seconds) m->metrics.total_seconds->observe(total_s);
      if (m->metrics.request_duration_us) m->metrics.request_duration_us->inc(total_s * 1e6);
    }
    return response;
  }
}

bool ModelManager::drain(int64_t timeout_ms) {
  impl_->draining.store(true);
  std::unique_lock lock(impl_->idle_mu);
  return impl_->idle_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                 [&] { return impl_->inflight.load() == 0; });
}

int http_status_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnsupported:
    case StatusCode::kInvalidModel:
    case StatusCode::kOutOfRange: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

}  // namespace fastserve::serve
