// JSON forms of the domain types: the client view (schemas.md) and the record form (record.json).
#pragma once

#include "team/core/types.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace omx::team {

// Every *_from_json throws std::runtime_error naming the field path
// (e.g. "field 'team.tasks[1].status': unknown value 'x'") when a required
// field is missing or has the wrong type. Optional fields may be null or missing.

json::object to_json(const TaskTemplate&);
TaskTemplate task_template_from_json(const json::object&);

// Normalized options as clients see them (agentCommands keyed by role name,
// maxTokens and team.teamTasks null when absent).
json::object to_json(const JobOptions&);
JobOptions options_from_json(const json::object&);

// {provider, mode, repo, ref, task, options}.
json::object to_json(const JobRequest&);
JobRequest job_request_from_json(const json::object&);

// costUsd null when absent. usage_from_json accepts null (all zero) and
// missing keys (0 / null).
json::object to_json(const Usage&);
Usage usage_from_json(const json::value&);

// The Task of schemas.md, every key present in its order. The record form adds
// "reclaims"; task_from_json accepts both (reclaims 0 when missing).
json::object to_json(const Task&);
json::object task_to_record_json(const Task&);
Task task_from_json(const json::object&);

json::object to_json(const Message&);
Message message_from_json(const json::object&);

// Metrics of schemas.md with the usage fields flattened in.
json::object to_json(const Metrics&);

json::object phase_entry_to_json(const PhaseEntry&);
PhaseEntry phase_entry_from_json(const json::object&);

// The whole job as record.json keeps it: everything needed to restore it exactly.
json::object job_to_record_json(const Job&);
Job job_from_record_json(const json::object&);

} // namespace omx::team
