// Human output of omx: job tables, the job view with its tasks, event lines,
// the overview. Pure functions of the server's JSON (and the clock for ages);
// colours only when the Style says so.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omx::cli {

class Style {
  public:
    explicit Style(bool color) : color_(color) {}
    bool color() const { return color_; }
    // text wrapped in an SGR sequence such as "1" (bold) or "31" (red) when colouring.
    std::string paint(std::string_view sgr, std::string_view text) const;
    std::string status(std::string_view status) const; // coloured by outcome
    static std::string_view status_sgr(std::string_view status);

  private:
    bool color_;
};

// Milliseconds since the epoch of an RFC 3339 UTC timestamp ("…T13:55:02.123Z").
std::optional<std::int64_t> parse_timestamp(const boost::json::value& v);
std::int64_t now_ms();
std::string age_text(std::int64_t ms);      // "45s", "3m", "2h", "4d"
std::string duration_text(std::int64_t ms); // "0.4s", "1m05s", "2h03m"

std::string render_job_list(const boost::json::value& page, const Style& style);
std::string render_job(const boost::json::value& job, const boost::json::value& team,
                       const Style& style);
// One line for an action's answer: "job <id>: running, approval approved".
std::string render_job_line(const boost::json::value& job, const Style& style);
// "12:03:04  team.task.started           team-developer attempt 1"
std::string render_event(const boost::json::value& event, const Style& style);
std::string render_overview(const boost::json::value& overview, const Style& style);
std::string render_message(const boost::json::value& message);

} // namespace omx::cli
