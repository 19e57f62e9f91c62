#ifndef AVROP_CLIBPQ_SHIM_H
#define AVROP_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
