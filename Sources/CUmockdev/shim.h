#ifndef SMSAGENT_CUMOCKDEV_SHIM_H
#define SMSAGENT_CUMOCKDEV_SHIM_H
#include <umockdev.h>
#endif
