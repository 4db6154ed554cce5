// The one header through which the monorepo includes glog (LOG, CHECK, VLOG).
#ifndef COMMON_PORT_LOGGING_H_
#define COMMON_PORT_LOGGING_H_

#include <glog/logging.h>  // IWYU pragma: export

#endif  // COMMON_PORT_LOGGING_H_
