// Actions on a job from any API node, for its owner (storage.md: "actions
// from API nodes"). An API node never runs the team engine: it appends the
// action to the job's command stream, has the job queued if no worker holds
// it, and waits for the owner's answer on a reply list of its own. The owner
// applies the stream's commands in order — as the single writer it is — and
// answers each with the job after it.
#pragma once

#include "store/redis/connection.hpp"
#include "team/actor/job_api.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace omx::cluster {

struct Command {
    enum class Kind { job_action, task_action, message };
    std::string id; // names the reply list
    Kind kind = Kind::job_action;
    std::string action;   // job_action: approve|reject|cancel|resume
    std::string task_id;  // task_action
    bool approve = false; // task_action
    std::optional<std::string> comment;
    std::optional<team::Message> message; // validated by the API node; id, from and createdAt set by the owner
};

struct CommandReply {
    actor::Failure failure = actor::Failure::none;
    std::string error;
    std::vector<std::string> problems; // a message refused
    std::optional<team::Job> job;      // after the command
    std::optional<team::Message> message;
};

std::string encode(const Command& c);
Command decode_command(const std::string& text); // throws std::runtime_error
std::string encode(const CommandReply& r);
CommandReply decode_reply(const std::string& text); // throws std::runtime_error

struct PendingCommand {
    std::string entry_id;
    Command command;
};

// API node: appends the command to the job's stream.
boost::asio::awaitable<void> send_command(redis::Connection& c, const std::string& job_id, const Command& command);
// API node: the owner's reply, waiting up to `timeout` (BLPOP: a connection of its own); nullopt when none came.
boost::asio::awaitable<std::optional<CommandReply>> await_reply(redis::Connection& dedicated,
                                                                const std::string& command_id,
                                                                std::chrono::milliseconds timeout);
// Owner: the job's commands not yet applied, oldest first.
boost::asio::awaitable<std::vector<PendingCommand>> pending_commands(redis::Connection& c, const std::string& job_id);
// Owner: answers a command and removes it from the stream.
boost::asio::awaitable<void> finish_command(redis::Connection& c, const std::string& job_id,
                                            const PendingCommand& command, const CommandReply& reply);

} // namespace omx::cluster
