// Fuzz target: a POST /v1/jobs body, parsed as the server parses it and
// validated and normalized (api/validate_job.hpp).
#include "api/validate_job.hpp"

#include <boost/json/parse.hpp>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    boost::json::parse_options options;
    options.max_depth = 64;
    boost::system::error_code ec;
    auto body = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec, {}, options);
    if (ec) return 0;
    for (bool tmux : {false, true}) {
        auto v = omx::api::validate_job_request(body, {tmux, tmux});
        if (v.request) (void)omx::api::request_hash(body);
    }
    (void)omx::api::is_local_repo(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
