// What people open in a browser: the dashboard and the API docs page (embedded
// files), the OpenAPI document, Swagger UI's files (from swagger-ui-dist on
// disk) and the Prometheus metrics.
#include "api/handlers.hpp"

#include "api/web_assets.hpp"
#include "runtime/metrics.hpp"
#include "team/actor/job_api.hpp"

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace asio = boost::asio;

namespace omx::api {
namespace {

// Pages of our own: nothing inline, nothing from elsewhere.
constexpr std::string_view dashboard_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
// Swagger UI sets inline styles.
constexpr std::string_view docs_policy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

std::string_view content_type_of(std::string_view name) {
    auto ends_with = [&](std::string_view suffix) { return name.ends_with(suffix); };
    if (ends_with(".html")) return "text/html; charset=utf-8";
    if (ends_with(".js")) return "text/javascript; charset=utf-8";
    if (ends_with(".css")) return "text/css; charset=utf-8";
    if (ends_with(".json")) return "application/json";
    if (ends_with(".png")) return "image/png";
    if (ends_with(".svg")) return "image/svg+xml";
    if (ends_with(".map")) return "application/json";
    return "application/octet-stream";
}

Response file_response(std::string_view name, std::string body, std::string_view policy) {
    Response res;
    res.content_type = std::string(content_type_of(name));
    res.body = std::move(body);
    res.headers.emplace_back("Cache-Control", "no-cache");
    res.headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (!policy.empty()) res.headers.emplace_back("Content-Security-Policy", std::string(policy));
    return res;
}

const WebFile* embedded(std::string_view path) {
    for (auto& f : web_files())
        if (f.path == path) return &f;
    return nullptr;
}

Response embedded_response(std::string_view path, std::string_view policy) {
    auto* f = embedded(path);
    if (!f) return error_response(404, "Cannot GET /" + std::string(path));
    return file_response(path, std::string(f->body), policy);
}

// Swagger UI's files, read once from --swagger-ui-dir and kept.
std::optional<std::string> swagger_file(const std::filesystem::path& dir, const std::string& name) {
    static std::mutex mutex;
    static std::map<std::string, std::string> cache;
    std::lock_guard lock(mutex);
    if (auto it = cache.find(name); it != cache.end()) return it->second;
    std::ifstream in(dir / name, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream body;
    body << in.rdbuf();
    return cache[name] = body.str();
}

Response docs_file(const RouteMatch& m, const Config& config) {
    if (embedded("docs/" + m.file)) return embedded_response("docs/" + m.file, docs_policy);
    if (!std::filesystem::is_directory(config.swagger_ui_dir))
        return error_response(503, "Swagger UI is not installed: " + config.swagger_ui_dir.string() +
                                       " is missing (run tools/setup.sh, or pass --swagger-ui-dir)");
    auto body = swagger_file(config.swagger_ui_dir, m.file);
    if (!body) return error_response(404, "Cannot GET /docs/" + m.file);
    return file_response(m.file, std::move(*body), docs_policy);
}

} // namespace

asio::awaitable<Response> web_request(const RouteMatch& m, ApiContext& ctx) {
    switch (m.route) {
    case Route::monitor_page: co_return embedded_response("monitor/index.html", dashboard_policy);
    case Route::monitor_file: co_return embedded_response("monitor/" + m.file, dashboard_policy);
    case Route::docs_page: co_return embedded_response("docs/index.html", docs_policy);
    case Route::docs_file: co_return docs_file(m, ctx.config);
    case Route::openapi: co_return embedded_response("openapi.json", "");
    case Route::metrics: {
        Response res;
        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
        res.body = metrics::exposition(co_await ctx.jobs.async_metric_gauges());
        co_return res;
    }
    default: break;
    }
    co_return error_response(404, "not found");
}

} // namespace omx::api
