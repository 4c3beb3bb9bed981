#ifndef SMSAGENT_CUDEV_SHIM_H
#define SMSAGENT_CUDEV_SHIM_H
#include <libudev.h>

/* udev_list_entry_foreach is a macro; Swift walks the list with these. */
static inline struct udev_list_entry *cudev_list_first(struct udev_list_entry *e) { return e; }
static inline struct udev_list_entry *cudev_list_next(struct udev_list_entry *e) { return udev_list_entry_get_next(e); }
#endif
