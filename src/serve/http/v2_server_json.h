// JSON bodies of the v2 / Triton HTTP routes other than infer: server and
// model metadata, statistics, the repository index, errors, and the small
// request bodies of the repository extension.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fastserve/status.h"
#include "serve/model_manager.h"

namespace fastserve::serve {

// {"error":"<message>"}: the body of every error answer. Bytes of the
// message that are not valid UTF-8 (a client's raw path, say) become U+FFFD,
// so the answer stays parseable JSON.
std::string error_json(std::string_view message);


// GET /v2: {"name":"fastserve","version":FASTSERVE_VERSION,"extensions":[...]},
// listing only the extensions this server implements.
std::string server_metadata_json();

// GET /v2/models/{m}: {"name","versions","platform","inputs":[{"name","datatype","shape"}],"outputs"}.
std::string model_metadata_json(const ModelMetadata& metadata);

// GET /v2/models[/{m}]/stats: Triton's statistics extension,
// {"model_stats":[{"name","version","last_inference","inference_count",
// "execution_count","inference_stats":{"success":{"count","ns"},"fail",
// "queue","compute_input","compute_infer","compute_output"},"batch_stats":[...]}]}.
std::string model_statistics_json(const std::vector<ModelStatistics>& stats);

// POST /v2/repository/index: [{"name","version","state","reason"}].
std::string repository_index_json(const std::vector<RepositoryEntry>& entries);

// The POST /v2/repository/index body: empty, {} or {"ready": true|false}.
// Returns the ready flag (false when absent).
Result<bool> parse_repository_index_request(std::string_view body);

// The POST /v2/repository/models/{m}/load body: empty, {} or
// {"parameters": {"config": "<model config JSON>"}}. Returns the config
// string ("" when absent). Other parameters (Triton's "file:..." overrides)
// are not supported and are an error naming them.
Result<std::string> parse_load_request(std::string_view body);

// The POST /v2/repository/models/{m}/unload body: empty, {} or
// {"parameters": {"unload_dependents": bool}} (accepted; there are no ensembles).
Status parse_unload_request(std::string_view body);

}  // namespace fastserve::serve
