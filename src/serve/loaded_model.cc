// Loading a model version (sessions, config completion, warmup) and checking
// requests against it.
#include "serve/loaded_model.h"

#include <algorithm>
#include <random>
#include <thread>

#include "onnx/onnx_reader.h"

namespace fastserve::serve {

namespace {

std::vector<TensorMetadata> io_metadata(const std::vector<IoInfo>& infos, bool batched) {
  std::vector<TensorMetadata> out;
  for (const auto& io : infos) {
    TensorMetadata t;
    t.name = io.name;
    t.dtype = io.dtype;
    t.datatype = dtype_v2_name(io.dtype);
    if (io.shape_known)
      for (size_t d = 0; d < io.shape.rank(); ++d) t.shape.push_back(io.shape[d] < 0 ? -1 : io.shape[d]);
    if (batched && !t.shape.empty()) t.shape[0] = -1;
    out.push_back(std::move(t));
  }
  return out;
}

bool leading_dim_is_symbolic(const std::vector<IoInfo>& infos) {
  for (const auto& io : infos)
    if (!io.shape_known || io.shape.rank() == 0 || io.shape[0] != kUnknownDim) return false;
  return !infos.empty();
}

// Config IO entries (dims without the batch dim) -> TensorConfig from the model.
std::vector<TensorConfig> io_config(const std::vector<TensorMetadata>& io, bool batched) {
  std::vector<TensorConfig> out;
  for (const auto& t : io) {
    TensorConfig c;
    c.name = t.name;
    c.dtype = t.dtype;
    c.dims.assign(t.shape.begin() + (batched && !t.shape.empty() ? 1 : 0), t.shape.end());
    out.push_back(std::move(c));
  }
  return out;
}

Status check_declared(const std::vector<TensorConfig>& declared, const std::vector<TensorMetadata>& actual,
                      const char* kind, const std::string& where) {
  for (const auto& d : declared) {
    auto it = std::find_if(actual.begin(), actual.end(), [&](const TensorMetadata& t) { return t.name == d.name; });
    if (it == actual.end())
      return Status(StatusCode::kInvalidArgument,
                    where + ": config " + kind + " '" + d.name + "' is not a " + kind + " of the model");
    if (d.dtype != DType::kUndefined && d.dtype != it->dtype)
      return Status(StatusCode::kInvalidArgument, where + ": config " + kind + " '" + d.name + "' is " +
                                                      dtype_config_name(d.dtype) + ", the model says " +
                                                      dtype_config_name(it->dtype));
  }
  return ok_status();
}

Tensor warmup_tensor(const WarmupInput& in, int64_t batch, bool batched, std::mt19937& rng) {
  std::vector<int64_t> dims;
  if (batched) dims.push_back(batch);
  for (int64_t d : in.dims) dims.push_back(d < 0 ? 1 : d);
  Tensor t = Tensor::zeros(in.dtype, Shape(dims));
  if (in.random && in.dtype == DType::kF32) {
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = u(rng);
  }
  return t;
}

// Runs the config's warmup samples, or one zero-filled run with every
// variable dim 1 when there are none, on every instance: the first real
// request then finds plans built and pages touched.
Status warm_up(const LoadedModel& m, const std::vector<std::unique_ptr<Session>>& sessions,
               const std::string& where) {
  const bool batched = m.config.max_batch_size > 0;
  std::vector<WarmupSample> samples = m.config.warmup;
  if (samples.empty()) {
    WarmupSample s;
    s.name = "default";
    for (const auto& t : m.io.inputs) {
      WarmupInput in;
      in.name = t.name;
      in.dtype = t.dtype;
      in.dims.assign(t.shape.begin() + (batched && !t.shape.empty() ? 1 : 0), t.shape.end());
      s.inputs.push_back(in);
    }
    samples.push_back(s);
  }
  std::mt19937 rng(1234);
  for (const auto& s : samples) {
    std::vector<NamedTensor> inputs;
    for (const auto& in : s.inputs) inputs.push_back({in.name, warmup_tensor(in, s.batch_size, batched, rng)});
    for (const auto& session : sessions)
      for (int64_t i = 0; i < std::max<int64_t>(1, s.count); ++i) {
        auto r = session->run(inputs);
        if (!r.ok()) return r.status().with_context(where + ": warmup '" + s.name + "'");
      }
  }
  return ok_status();
}

}  // namespace

Result<std::shared_ptr<LoadedModel>> load_model_version(const std::string& name, const std::string& version,
                                                        const std::string& path, ModelConfig config,
                                                        const LoadSettings& settings, MetricsRegistry& registry) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string where = "model '" + name + "' version " + version;
  auto loaded = load_onnx_model(path);
  if (!loaded.ok()) return loaded.status().with_context(where);
  auto m = std::make_shared<LoadedModel>();
  m->name = name;
  m->version = version;
  m->path = path;
  std::shared_ptr<const Model> model = std::move(loaded).value();
  m->model_metadata = model->metadata;
  for (const auto& v : model->graph.values)
    if (v.is_constant()) m->weight_bytes += v.initializer.nbytes();

  const int64_t instances = std::max<int64_t>(1, config.instance_count);
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  SessionOptions opts;
  opts.num_threads = config.threads > 0     ? static_cast<int>(config.threads)
                     : settings.threads > 0 ? settings.threads
                                            : std::max(1, hw / static_cast<int>(instances));
  opts.device = config.device != "cpu" ? config.device : settings.device;
  std::vector<std::unique_ptr<Session>> sessions;
  for (int64_t i = 0; i < instances; ++i) {
    // The last session gets the only handle, so weights it packs are freed.
    auto s = Session::create(i + 1 == instances ? std::move(model) : model, opts);
    if (!s.ok()) return s.status().with_context(where);
    sessions.push_back(std::move(s).value());
  }
  const Session& s0 = *sessions.front();

  if (!settings.has_config && config.max_batch_size == 0 && leading_dim_is_symbolic(s0.inputs()) &&
      leading_dim_is_symbolic(s0.outputs())) {
    // Triton's auto-complete does the same for ONNX models with a variable
    // leading dim: batch them, queueing for no longer than the current run.
    config.max_batch_size = kAutoMaxBatchSize;
    config.dynamic_batching.enabled = true;
  }
  const bool batched = config.max_batch_size > 0;
  if (batched) {
    for (const auto* list : {&s0.inputs(), &s0.outputs()})
      for (const auto& io : *list)
        if (io.shape_known && (io.shape.rank() == 0 || io.shape[0] != kUnknownDim))
          return Status(StatusCode::kInvalidArgument,
                        where + ": max_batch_size " + std::to_string(config.max_batch_size) + " needs a variable " +
                            "leading (batch) dim, but '" + io.name + "' has shape " + io.shape.to_string());
  }
  m->io.name = name;
  m->io.platform = config.platform;
  m->io.versions = {version};
  m->io.inputs = io_metadata(s0.inputs(), batched);
  m->io.outputs = io_metadata(s0.outputs(), batched);
  FS_RETURN_IF_ERROR(check_declared(config.inputs, m->io.inputs, "input", where));
  FS_RETURN_IF_ERROR(check_declared(config.outputs, m->io.outputs, "output", where));
  config.inputs = io_config(m->io.inputs, batched);
  config.outputs = io_config(m->io.outputs, batched);
  config.name = name;
  m->config = config;

  FS_RETURN_IF_ERROR(warm_up(*m, sessions, where));

  m->metrics = make_model_metrics(registry, name, version);
  m->load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (m->metrics.load_seconds) m->metrics.load_seconds->set(m->load_seconds);
  if (m->metrics.memory_bytes) {
    const size_t weights = m->weight_bytes;
    double arena = 0;
    for (const auto& s : sessions) arena += static_cast<double>(s->memory_stats().planned_activation_bytes);
    m->metrics.memory_bytes->set(static_cast<double>(weights) + arena);
  }
  m->batcher = std::make_unique<DynamicBatcher>(m->config, std::move(sessions), m->metrics);
  return m;
}

Result<int64_t> validate_request(const LoadedModel& m, InferRequest& request) {
  const std::string where = "model '" + m.name + "'";
  const bool batched = m.config.max_batch_size > 0;
  std::vector<NamedTensor> ordered;
  ordered.reserve(m.io.inputs.size());
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const auto& name = request.inputs[i].name;
    if (std::none_of(m.io.inputs.begin(), m.io.inputs.end(), [&](const TensorMetadata& t) { return t.name == name; }))
      return Status(StatusCode::kInvalidArgument, where + ": unknown input '" + name + "'");
    for (size_t j = 0; j < i; ++j)
      if (request.inputs[j].name == name)
        return Status(StatusCode::kInvalidArgument, where + ": input '" + name + "' is given twice");
  }
  int64_t items = 1;
  for (size_t k = 0; k < m.io.inputs.size(); ++k) {
    const TensorMetadata& want = m.io.inputs[k];
    auto it = std::find_if(request.inputs.begin(), request.inputs.end(),
                           [&](const NamedTensor& t) { return t.name == want.name; });
    if (it == request.inputs.end())
      return Status(StatusCode::kInvalidArgument, where + ": missing input '" + want.name + "'");
    const Tensor& t = it->tensor;
    const std::string tensor = where + ": input '" + want.name + "'";
    if (t.dtype() != want.dtype)
      return Status(StatusCode::kInvalidArgument, tensor + ": datatype " + dtype_v2_name(t.dtype()) +
                                                      ", the model expects " + want.datatype);
    const auto& dims = t.shape().dims();
    if (!want.shape.empty() || batched) {
      if (dims.size() != want.shape.size())
        return Status(StatusCode::kInvalidArgument, tensor + ": shape " + t.shape().to_string() + " has " +
                                                        std::to_string(dims.size()) + " dims, the model expects " +
                                                        std::to_string(want.shape.size()));
      for (size_t d = batched ? 1 : 0; d < dims.size(); ++d)
        if (want.shape[d] >= 0 && dims[d] != want.shape[d])
          return Status(StatusCode::kInvalidArgument,
                        tensor + ": shape " + t.shape().to_string() + ", dim " + std::to_string(d) +
                            " must be " + std::to_string(want.shape[d]));
    }
    if (batched) {
      const int64_t b = dims.empty() ? 0 : dims[0];
      if (b < 1 || b > m.config.max_batch_size)
        return Status(StatusCode::kInvalidArgument, tensor + ": batch size " + std::to_string(b) +
                                                        " is outside 1.." + std::to_string(m.config.max_batch_size));
      if (k > 0 && b != items)
        return Status(StatusCode::kInvalidArgument,
                      tensor + ": batch size " + std::to_string(b) + " differs from the other inputs' " +
                          std::to_string(items));
      items = b;
    }
    ordered.push_back(std::move(*it));
  }
  request.inputs = std::move(ordered);
  for (const auto& name : request.outputs)
    if (std::none_of(m.io.outputs.begin(), m.io.outputs.end(), [&](const TensorMetadata& t) { return t.name == name; }))
      return Status(StatusCode::kInvalidArgument, where + ": unknown output '" + name + "'");
  return items;
}

}  // namespace fastserve::serve
