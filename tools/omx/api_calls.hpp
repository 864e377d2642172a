// Calls of the omxd API for the commands: the bearer token on every request,
// JSON answers kept both as text (for --json, as-is) and parsed, and HTTP
// error answers turned into ApiError with the server's own message.
#pragma once

#include "tools/omx/cli.hpp"
#include "tools/omx/http.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace omx::cli {

// An HTTP error answer, as one line: "404 job … not found". Exit code 3.
class ApiError : public std::runtime_error {
  public:
    ApiError(int status, const std::string& line) : std::runtime_error(line), status(status) {}
    int status;
};

struct JsonAnswer {
    int status = 0;
    std::string text;         // the body exactly as the server sent it
    boost::json::value value; // parsed
};

// "404 job … not found" from {message, error, statusCode}; a message array
// (validation problems) is joined with "; ". Bodies of another shape are quoted.
std::string error_line(const client::HttpResponse& response);

// "/v1/jobs/<id>" with the id percent-encoded.
std::string job_path(std::string_view id);

class Api {
  public:
    explicit Api(const Context& ctx) : ctx_(ctx) {}

    JsonAnswer get(std::string_view target);
    std::string get_text(std::string_view target);
    // POST with a JSON body (or none when body is null).
    JsonAnswer post(std::string_view target, const boost::json::value& body,
                    client::HeaderList headers = {});

    // Authorization (when a token is set) plus extra.
    client::HeaderList headers(client::HeaderList extra = {}) const;

  private:
    client::HttpResponse send(std::string_view method, std::string_view target,
                              client::HeaderList headers, std::string body);
    const Context& ctx_;
};

} // namespace omx::cli
