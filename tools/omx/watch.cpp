// omx watch: a job's events over Server-Sent Events until the stream's end,
// reconnecting with backoff and Last-Event-ID so that no event is shown twice
// or missed, and exiting with the job's outcome.
#include "tools/omx/api_calls.hpp"
#include "tools/omx/commands.hpp"
#include "tools/omx/render.hpp"
#include "tools/omx/sse_parser.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <charconv>
#include <ostream>
#include <thread>

namespace omx::cli {
namespace json = boost::json;
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds connect_timeout{10'000};
// The server sends a keepalive every 15 s when idle: silence this long means a
// dead connection.
constexpr milliseconds idle_timeout{45'000};
constexpr milliseconds first_backoff{250};
constexpr milliseconds default_backoff_cap{2'000}; // until the server's `retry:` says otherwise

int outcome_code(std::string_view status) {
    if (status == "succeeded") return exit_code::ok;
    if (status == "canceled") return exit_code::canceled;
    return exit_code::failed;
}

std::optional<std::uint64_t> parse_seq(std::string_view s) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::string string_field(const json::value& v, std::string_view key) {
    const auto* obj = v.if_object();
    const auto* field = obj ? obj->if_contains(key) : nullptr;
    return field && field->is_string() ? std::string(field->get_string()) : std::string();
}

// Why a connection ended without the stream's end; the watcher then retries.
struct Interrupted {
    std::string reason;
    std::optional<milliseconds> retry_after; // a 503's Retry-After
};

class Watcher {
  public:
    Watcher(Context& ctx, std::string job_id, milliseconds retry_for)
        : ctx_(ctx), id_(std::move(job_id)), retry_for_(retry_for), style_(ctx.color) {}

    int run() {
        int attempt = 0;
        std::optional<Clock::time_point> failing_since;
        for (;;) {
            Interrupted why;
            try {
                if (auto outcome = connect_once()) return *outcome;
                why.reason = "the server closed the stream";
            } catch (const client::TransportError& e) {
                why.reason = e.what();
            } catch (Interrupted& i) {
                why = std::move(i);
            }
            if (progressed_) {
                progressed_ = false;
                failing_since.reset();
                attempt = 0;
            }
            auto now = Clock::now();
            if (!failing_since) failing_since = now;
            if (now - *failing_since >= retry_for_)
                throw client::TransportError(
                    why.reason + " (gave up after " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::seconds>(retry_for_).count()) +
                    " s of retries)");
            auto delay = std::min(first_backoff * (1 << std::min(attempt, 10)), backoff_cap_);
            if (why.retry_after) delay = std::min(*why.retry_after, milliseconds(10'000));
            delay = std::min(
                delay, std::chrono::duration_cast<milliseconds>(*failing_since + retry_for_ - now) +
                           milliseconds(1));
            if (attempt == 0)
                ctx_.err << "omx: " << why.reason << "; reconnecting"
                         << (last_seq_ ? " after event " + std::to_string(*last_seq_) : "")
                         << std::endl;
            reconnecting_ = true;
            ++attempt;
            std::this_thread::sleep_for(delay);
        }
    }

  private:
    // One connection: the job's outcome once the stream ended, nullopt when the
    // connection ended first. Throws TransportError or Interrupted to retry,
    // ApiError for an answer that retrying cannot change.
    std::optional<int> connect_once() {
        Api api(ctx_);
        client::HeaderList headers{{"Accept", "text/event-stream"}};
        if (last_seq_) headers.emplace_back("Last-Event-ID", std::to_string(*last_seq_));
        client::EventStream stream(ctx_.server);
        stream.open(job_path(id_) + "/events", api.headers(std::move(headers)), connect_timeout);

        if (stream.status() == 204) return finished_job_outcome(api);
        if (stream.status() != 200 || !stream.is_event_stream()) {
            client::HttpResponse answer{stream.status(), {}, stream.read_body(connect_timeout)};
            answer.headers["content-type"] = stream.header("content-type");
            auto line = error_line(answer);
            if (answer.status >= 500 || answer.status == 408 || answer.status == 429) {
                Interrupted i{line, std::nullopt};
                if (auto seconds = parse_seq(stream.header("retry-after")))
                    i.retry_after = milliseconds(*seconds * 1000);
                throw i;
            }
            throw ApiError(answer.status, line);
        }
        if (reconnecting_) {
            ctx_.err << "omx: reconnected" << std::endl;
            reconnecting_ = false;
        }
        client::SseParser parser;
        while (auto bytes = stream.read_some(idle_timeout)) {
            parser.feed(*bytes);
            if (!parser.comments().empty()) {
                progressed_ = true; // keepalives: the connection is alive
                parser.clear_comments();
            }
            if (auto retry = parser.retry(); retry && *retry > 0)
                backoff_cap_ = std::max(milliseconds(*retry), first_backoff);
            while (auto event = parser.pop_event()) {
                if (event->event == "end") return end_of_stream(event->data);
                show(*event);
            }
        }
        return std::nullopt;
    }

    void show(const client::SseEvent& event) {
        json::error_code ec;
        auto value = json::parse(event.data, ec);
        std::optional<std::uint64_t> seq;
        if (event.id) seq = parse_seq(*event.id);
        if (!seq && !ec && value.is_object())
            if (const auto* s = value.as_object().if_contains("seq"); s && s->is_number())
                seq = s->to_number<std::uint64_t>();
        if (seq && last_seq_ && *seq <= *last_seq_) return; // already shown
        if (ctx_.json) {
            ctx_.out << event.data << '\n';
        } else if (!ec) {
            ctx_.out << render_event(value, style_);
        } else {
            ctx_.out << event.event << "  " << event.data << '\n';
        }
        ctx_.out.flush();
        if (seq) last_seq_ = seq;
        progressed_ = true;
    }

    int end_of_stream(const std::string& data) {
        json::error_code ec;
        auto value = json::parse(data, ec);
        auto status = ec ? std::string() : string_field(value, "status");
        return finish(status);
    }

    // A 204: the job is terminal and every event up to its last was seen.
    int finished_job_outcome(Api& api) {
        auto job = api.get(job_path(id_));
        return finish(string_field(job.value, "status"));
    }

    int finish(const std::string& status) {
        if (!ctx_.json) {
            ctx_.out << style_.paint(Style::status_sgr(status),
                                     "job " + id_ + " " + (status.empty() ? "ended" : status))
                     << '\n';
            ctx_.out.flush();
        }
        return outcome_code(status);
    }

    Context& ctx_;
    std::string id_;
    milliseconds retry_for_;
    Style style_;
    std::optional<std::uint64_t> last_seq_;
    milliseconds backoff_cap_ = default_backoff_cap;
    bool progressed_ = false;
    bool reconnecting_ = false;
};

} // namespace

int watch_job(Context& ctx, const std::string& job_id, milliseconds retry_for) {
    return Watcher(ctx, job_id, retry_for).run();
}

int run_watch(Context& ctx, const ParsedArgs& args) {
    return watch_job(ctx, args.positionals[0], retry_timeout(args));
}

} // namespace omx::cli
