// Server-Sent Events (api.md): a job's event stream with replay from the log,
// Last-Event-ID resume, tail, keepalives and end-of-stream; and the stream of
// all jobs for dashboards. Included only by the HTTP session.
#pragma once

#include "api/handlers.hpp"
#include "api/http_types.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace omx::api {

boost::asio::awaitable<void> serve_job_stream(boost::beast::tcp_stream& stream, const Request& req,
                                              const std::string& job_id, ApiContext& ctx);
boost::asio::awaitable<void> serve_monitor_stream(boost::beast::tcp_stream& stream, const Request& req,
                                                  ApiContext& ctx);

// Writes a complete (non-stream) response, moving its body out; false when the write failed.
boost::asio::awaitable<bool> write_response(boost::beast::tcp_stream& stream, Response& res,
                                            bool keep_alive, std::chrono::milliseconds timeout);

} // namespace omx::api
