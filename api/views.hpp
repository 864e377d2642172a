// JSON views of a job for clients (schemas.md): the job, its team state, its mailbox.
#pragma once

#include "team/core/types.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace omx::api {

boost::json::object job_view(const team::Job&);
boost::json::object team_view(const team::Job&);
boost::json::array mailbox_view(const team::Job&);

} // namespace omx::api
