#include "team/cluster/commands.hpp"

#include "store/redis/keys.hpp"
#include "store/redis/reply.hpp"
#include "team/core/json_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace asio = boost::asio;
namespace json = boost::json;

namespace omx::cluster {
namespace {

// How long an answer waits for its API node (which gives up after its own timeout).
constexpr int reply_seconds = 300;

std::string_view kind_name(Command::Kind k) {
    switch (k) {
    case Command::Kind::job_action: return "job";
    case Command::Kind::task_action: return "task";
    case Command::Kind::message: return "message";
    }
    return "job";
}

std::string_view failure_name(actor::Failure f) {
    switch (f) {
    case actor::Failure::none: return "none";
    case actor::Failure::not_found: return "not_found";
    case actor::Failure::conflict: return "conflict";
    case actor::Failure::unavailable: return "unavailable";
    case actor::Failure::bad_request: return "bad_request";
    }
    return "unavailable";
}

actor::Failure parse_failure(std::string_view s) {
    if (s == "none") return actor::Failure::none;
    if (s == "not_found") return actor::Failure::not_found;
    if (s == "conflict") return actor::Failure::conflict;
    if (s == "bad_request") return actor::Failure::bad_request;
    return actor::Failure::unavailable;
}

json::object parse_object(const std::string& text, const char* what) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) throw std::runtime_error(std::string("an unreadable ") + what + ": " + text.substr(0, 200));
    return std::move(v.get_object());
}

std::optional<std::string> optional_string(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string(v->get_string());
}

} // namespace

std::string encode(const Command& c) {
    json::object o{{"id", c.id}, {"kind", kind_name(c.kind)}};
    if (c.kind == Command::Kind::job_action) o["action"] = c.action;
    if (c.kind == Command::Kind::task_action) {
        o["taskId"] = c.task_id;
        o["approve"] = c.approve;
    }
    if (c.comment) o["comment"] = *c.comment;
    if (c.message) o["message"] = team::to_json(*c.message);
    return json::serialize(o);
}

Command decode_command(const std::string& text) {
    auto o = parse_object(text, "command");
    Command c;
    try {
        c.id = std::string(o.at("id").as_string());
        auto kind = o.at("kind").as_string();
        if (kind == "job") {
            c.kind = Command::Kind::job_action;
            c.action = std::string(o.at("action").as_string());
        } else if (kind == "task") {
            c.kind = Command::Kind::task_action;
            c.task_id = std::string(o.at("taskId").as_string());
            c.approve = o.at("approve").as_bool();
        } else if (kind == "message") {
            c.kind = Command::Kind::message;
            c.message = team::message_from_json(o.at("message").as_object());
        } else {
            throw std::runtime_error("unknown command kind");
        }
        c.comment = optional_string(o, "comment");
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("an unreadable command (") + e.what() + "): " + text.substr(0, 200));
    }
    return c;
}

std::string encode(const CommandReply& r) {
    json::object o{{"failure", failure_name(r.failure)}, {"error", r.error}};
    json::array problems;
    for (auto& p : r.problems) problems.push_back(json::value(p));
    o["problems"] = std::move(problems);
    if (r.job) o["job"] = team::job_to_record_json(*r.job);
    if (r.message) o["message"] = team::to_json(*r.message);
    return json::serialize(o);
}

CommandReply decode_reply(const std::string& text) {
    auto o = parse_object(text, "command reply");
    CommandReply r;
    try {
        r.failure = parse_failure(o.at("failure").as_string());
        r.error = std::string(o.at("error").as_string());
        for (auto& p : o.at("problems").as_array()) r.problems.emplace_back(p.as_string());
        if (auto* j = o.if_contains("job")) r.job = team::job_from_record_json(j->as_object());
        if (auto* m = o.if_contains("message")) r.message = team::message_from_json(m->as_object());
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("an unreadable command reply: ") + e.what());
    }
    return r;
}

asio::awaitable<void> send_command(redis::Connection& c, const std::string& job_id, const Command& command) {
    auto r = co_await redis::call(c, redis::command_timeout, "XADD", redis::keys::commands(job_id), "*", "c", encode(command));
    redis::checked(r, "sending a command");
}

asio::awaitable<std::optional<CommandReply>> await_reply(redis::Connection& dedicated, const std::string& command_id,
                                                         std::chrono::milliseconds timeout) {
    // BLPOP takes seconds (fractions allowed); the connection's own deadline is a little longer.
    auto seconds = std::to_string(static_cast<double>(timeout.count()) / 1000.0);
    auto r = co_await redis::call(dedicated, timeout + redis::command_timeout, "BLPOP", redis::keys::reply(command_id),
                                  seconds);
    redis::checked(r, "waiting for a command's reply");
    if (r.is_nil() || !r.is_array() || r.elements.size() != 2) co_return std::nullopt;
    co_return decode_reply(r.elements[1].text);
}

asio::awaitable<std::vector<PendingCommand>> pending_commands(redis::Connection& c, const std::string& job_id) {
    auto r = co_await redis::call(c, redis::command_timeout, "XRANGE", redis::keys::commands(job_id), "-", "+");
    std::vector<PendingCommand> out;
    for (auto& entry : redis::checked(r, "reading commands").elements)
        if (auto* c = redis::entry_field(entry, "c")) out.push_back({*redis::entry_id(entry), decode_command(*c)});
    co_return out;
}

asio::awaitable<void> finish_command(redis::Connection& c, const std::string& job_id, const PendingCommand& command,
                                     const CommandReply& reply) {
    auto key = redis::keys::reply(command.command.id);
    auto r = co_await redis::call(c, redis::command_timeout, "LPUSH", key, encode(reply));
    redis::checked(r, "answering a command");
    r = co_await redis::call(c, redis::command_timeout, "EXPIRE", key, std::to_string(reply_seconds));
    redis::checked(r, "answering a command");
    r = co_await redis::call(c, redis::command_timeout, "XDEL", redis::keys::commands(job_id), command.entry_id);
    redis::checked(r, "removing an applied command");
}

} // namespace omx::cluster
